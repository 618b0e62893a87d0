"""What operators learn without opening a page: Prometheus metrics, signed webhooks for every
outcome of a run, and one structured log line per run, refusal, override and delivery.

The audit log is the source of all three: ``audit`` sends ``run_started`` / ``run_finished``
once its row is committed, and ``apps.ready`` connects the webhooks and the log to them; the
metrics are read from the audit log and the target at scrape time.
"""
