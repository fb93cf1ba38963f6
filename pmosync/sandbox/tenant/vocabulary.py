"""Words for a believable Microsoft 365 tenant; order matters because generation draws by seed.

People, team and project names come from :mod:`pmosync.sandbox.org.words` so the Planner side
reads like the Asana side; these are the Planner- and Teams-specific extras.
"""

GROUP_PREFIXES = {
    "Operations": "Ops",
    "Engineering": "Eng",
    "Finance": "Fin",
    "Marketing": "Mkt",
    "Customer Success": "CS",
    "Data Platform": "Data",
    "Facilities": "Fac",
    "Legal": "Legal",
    "People": "HR",
    "Procurement": "Proc",
    "Security": "Sec",
    "Product": "Prod",
}
"""Short names people put in front of plan titles ("Ops — Apollo Office Move")."""

JOB_TITLES = (
    "Project Manager",
    "Engineer",
    "Analyst",
    "Consultant",
    "Coordinator",
    "Team Lead",
    "Specialist",
    "Architect",
)
BUCKET_NAMES = ("Backlog", "To do", "In progress", "Review", "Blocked", "Done")
CATEGORY_LABELS = (
    "Blocked",
    "Customer",
    "Internal",
    "Budget",
    "Risk",
    "Quick win",
    "External vendor",
    "Compliance",
    "Needs decision",
)
DESCRIPTIONS = (
    "Agreed in the steering committee; see the minutes in the channel files.",
    "Depends on the supplier confirming the delivery date.",
    "Scope: the Paris and Lyon sites only. Out of scope: the warehouse.",
    "Owner to confirm the estimate before Friday.",
    "Follow-up from the last retrospective.",
    "Müller GmbH sends the final quote; budget line 4.2 (€ 12,500).",
)
CHECKLIST_ITEMS = (
    "Draft",
    "Peer review",
    "Sign-off",
    "Upload to SharePoint",
    "Notify stakeholders",
    "Update the risk register",
    "Book the meeting room",
    "Send the invoice",
)
