"""Domain errors. Logic raises these; the backend maps each to one HTTP status in one place."""


class PortalError(Exception):
    """An error the caller caused or can act on; its message says what to do."""

    status_code = 400


class BadRequest(PortalError):
    status_code = 400


class Unauthorized(PortalError):
    status_code = 401


class Forbidden(PortalError):
    status_code = 403


class NotFound(PortalError):
    status_code = 404


class Conflict(PortalError):
    status_code = 409


class Unavailable(PortalError):
    """AWS refused or failed a step the portal could not finish; nothing the caller did wrong."""

    status_code = 503
