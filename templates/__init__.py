"""The Jinja2 templates and static files of kbgen (site/, shared/) and intake (its areas).

Installed as the data of the packages kbgen.templates and intake.templates (see setup.py).
"""
