"""The web console: server-rendered pages in Chinese for the people of the journey, under ``/``.

Pages call the services (never the JSON routes), with the same access scopes; a session cookie carries the
login, and every form carries a CSRF token.
"""
