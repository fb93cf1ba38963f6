"""Real HTTP emulators of the APIs pmosync talks to, over a synthetic organisation.

``org`` generates and mutates the organisation (the ground truth) and ``asana`` serves it the
way Asana's REST API does; ``tenant`` generates a Microsoft 365 tenant with the same people and
``graph`` serves it the way Microsoft Graph does; ``http`` is the loopback server, fault
injection and request accounting both emulators share. The sandbox never imports pmosync's
connectors or mapping and they never import it: an emulator built from the client's own code
would hide the client's bugs.
"""
