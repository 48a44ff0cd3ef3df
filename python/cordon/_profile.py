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
    report = pstats.Stats(_Gathered(stats), stream=out)
    report.strip_dirs().sort_stats(sort).print_stats(limit)
