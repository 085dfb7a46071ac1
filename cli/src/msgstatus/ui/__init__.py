"""``msgstatus ui``: a local web console for the message status API.

A small Starlette application served by uvicorn on loopback. It calls the API
from the server, authorized as the command-line client is (SigV4, a bearer
token, or nothing), so credentials never reach the browser.

* ``lookup``  what a search box entry or a window form asks for (pure);
* ``views``   status documents as view models and CSV (pure);
* ``guard``   the token, the session cookie, CSRF, the Host check, security headers;
* ``backend`` the API calls a page makes, with failures as problems to show;
* ``app``     routes, templates and static files;
* ``server``  binding, the printed URL, and running uvicorn.
"""
