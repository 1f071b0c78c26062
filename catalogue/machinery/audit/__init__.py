"""The audit machinery: the hash chain (``chain``), the process that writes read events
in groups (``writer``) and the refusals written after the answer (``refusals``)."""
