"""One router per engine; ROUTERS is what the app includes."""

from . import (
    budget,
    callsheets,
    characters,
    jobs,
    management,
    members,
    platform,
    projects,
    schedule,
    scripts,
    writing,
)

ROUTERS = [projects.router, scripts.router, scripts.breakdown_router, schedule.router, budget.router,
           callsheets.router, characters.router, writing.router, jobs.router, platform.router, members.router,
           management.router]
