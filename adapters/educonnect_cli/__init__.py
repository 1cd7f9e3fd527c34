"""The `educonnect` command line: the composition root of the main job."""
