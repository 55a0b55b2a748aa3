"""taperplan in the browser and in the EHR (``taperplan[web]``): a local web page, a
JSON API under ``/api/v1`` and a CDS Hooks service, in one stateless ASGI app.

- :mod:`.app`: :func:`~taperplan.web.app.create_app`, the routes and the security headers;
- :mod:`.page`: the page (form, plan, visit, downloads);
- :mod:`.api`: the JSON API; :mod:`.openapi`: its OpenAPI document;
- :mod:`.requests`: what a request carries; :mod:`.problems`: RFC 9457 problem details;
- :mod:`.cds`: the CDS Hooks service; :mod:`._fhir_orders`: MedicationRequests read as a
  regimen.

Starlette, uvicorn and python-multipart are the ``web`` extra; nothing here is imported
by ``import taperplan``.
"""
