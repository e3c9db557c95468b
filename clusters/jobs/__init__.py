"""Ray job entrypoints (`ray job submit -- python -m autonomys.jobs.<name>`).

Jobs are clients of a running cluster: they create or call detached, named service actors and exit.
They never own long-lived actors, because non-detached actors die with the job.
"""
