"""Real HTTP emulators of the APIs pmosync talks to, over a synthetic organisation.

``org`` generates and mutates the organisation (the ground truth); ``asana`` serves it the way
Asana's REST API does. The sandbox never imports pmosync's connectors or mapping and they never
import it: an emulator built from the client's own code would hide the client's bugs.
"""
