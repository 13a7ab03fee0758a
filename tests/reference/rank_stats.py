"""Rank statistics shared by the reference checks (standard library only)."""
import math


def mean(xs):
    return math.fsum(xs) / len(xs)


def average_ranks(xs):
    """1-based ranks, ties given the average of the ranks they span."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    ranks = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def pearson(a, b):
    """The Pearson correlation; 0 when either side is constant."""
    ma, mb = mean(a), mean(b)
    sab = math.fsum((x - ma) * (y - mb) for x, y in zip(a, b))
    saa = math.fsum((x - ma) ** 2 for x in a)
    sbb = math.fsum((y - mb) ** 2 for y in b)
    if saa == 0 or sbb == 0:
        return 0.0
    return sab / math.sqrt(saa * sbb)


def spearman(x, y):
    """The Spearman rank correlation, ties at their average rank."""
    return pearson(average_ranks(x), average_ranks(y))
