"""Published counts: every case count a report publishes, with which of them are shown as ``c``
(primary and secondary suppression, reporting/disclosure.py). Views read counts only from here."""
