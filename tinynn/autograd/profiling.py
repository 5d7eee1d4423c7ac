"""Where the profiler listens: ``recorder`` is None unless a ``tinynn.profiler.profile`` is running,
in which case every op's forward (``Function.__call__``) and backward (the engine) is timed through it.
One module attribute, so an idle profiler costs each op one ``is None`` test."""
recorder = None
