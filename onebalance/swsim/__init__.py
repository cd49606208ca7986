"""The One Balance service over SWSIM: the SOAP codec (``_soap``), one exchange (``_exchange``), the
per-account client (``OneBalance``), the version differences (``_dialect``), wire dicts to models
(``_mapping``), the models, the input rules and the validated inputs."""
