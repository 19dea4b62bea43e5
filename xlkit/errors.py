"""The one exception type whose Japanese message reaches the user as it is."""


class XlkitError(Exception):
    """Bad input or an impossible request; the message is Japanese and names what was wrong."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
