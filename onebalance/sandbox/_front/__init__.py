"""The sandbox's one front: the HTTP server, the in-process mount and the control API that every
simulated service (SWSIM, UPS, FedEx) plugs into, with the fault injection they share.

* ``_service``: what a service plugs in (:class:`Service`) and how a request reaches it or the control API;
* ``_server``: the one HTTP server (routes by path prefix to each mounted service; IPv6 hosts too);
* ``_mock``: the one in-process mount (a shared ``responses`` mock);
* ``_mount``: ``serve()``, ``mount()`` and ``mock()``, the same on every sandbox class;
* ``_control``: the control API (``POST /sandbox/control/<action>``) and its Python client;
* ``_http``: the limits every request is read within; ``_chaos`` and ``_inject``: fault injection.
"""
