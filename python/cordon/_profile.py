"""run_profiler's report, made in the parent from the numbers cProfile
gathered in the child (plain tuples, read without any class)."""
import pstats


class _Gathered:
    """What pstats.Stats takes as a profile: an object with .stats."""

    def __init__(self, stats):
        self.stats = stats

    def create_stats(self):
        pass


def print_report(stats, out, sort="cumulative", limit=25):
    if not stats:
        print("cordon: no profile came back from the task", file=out)
        return
    pstats.Stats(stream=out).sort_stats(sort)  # the caller's own mistake raises
    try:
        report = pstats.Stats(_Gathered(stats), stream=out)
        report.strip_dirs().sort_stats(sort).print_stats(limit)
    except Exception as error:  # the numbers are the task's word
        print(f"cordon: the profile that came back from the task cannot be read: {error!r}",
              file=out)
