"""Stage 7, run: the CI entry point. The selection with -n auto, serial tests kept safe."""
