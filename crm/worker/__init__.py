"""The task worker: the queue (Huey), the scheduled jobs, and the commands that serve and work."""
