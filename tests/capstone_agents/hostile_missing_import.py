"""An agent that imports a package the course does not have: it never gets defined."""
import a_package_nobody_installed  # noqa: F401

agent = None
