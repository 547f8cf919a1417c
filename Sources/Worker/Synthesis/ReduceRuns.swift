/// How a staged reduce cuts its answers into runs: consecutive, in order, every answer in
/// exactly one run, each run as long as still fits (the caller's exact check, through the
/// worker's tokenizer and template). Pure, so the cut is tested without a model.
enum ReduceRuns {
  /// The runs of `count` items. `fits(range)` says whether the items in `range`, together,
  /// fit; a single item is taken alone even when it does not (the caller truncates such
  /// answers first). Searches each run's end by doubling then halving, so a run of `n`
  /// items costs about 2·log₂(n) checks rather than `n`; the end taken has been checked.
  static func group(count: Int, fits: (Range<Int>) -> Bool) -> [Range<Int>] {
    var runs: [Range<Int>] = []
    var start = 0
    while start < count {
      // `good` is an end known to fit (or the lone item); `bad` one known not to, or past the end.
      var good = start + 1
      var step = 1
      var bad = count + 1
      while good < count {
        let probe = min(count, good + step)
        if fits(start..<probe) {
          good = probe
          step *= 2
        } else {
          bad = probe
          break
        }
      }
      while bad - good > 1 {
        let middle = (good + bad) / 2
        if fits(start..<middle) { good = middle } else { bad = middle }
      }
      runs.append(start..<good)
      start = good
    }
    return runs
  }
}
