import Testing
@testable import NightdeskWorker

/// The staged reduce's cut into runs: every answer in exactly one run, in order, each
/// run within the budget, and each as long as the budget allows.
@Suite struct ReduceRunsTests {
  /// Runs of items costing `costs`, fitting when their sum is at most `budget`; the checks made.
  func runs(_ costs: [Int], budget: Int) -> (runs: [Range<Int>], checks: Int) {
    var checks = 0
    let runs = ReduceRuns.group(count: costs.count) { range in
      checks += 1
      return costs[range].reduce(0, +) <= budget
    }
    return (runs, checks)
  }

  @Test func everyAnswerIsInExactlyOneRunInOrderAndEachRunFitsAndIsFull() {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<300 {
      let count = Int.random(in: 0...60, using: &generator)
      let budget = Int.random(in: 10...400, using: &generator)
      let costs = (0..<count).map { _ in Int.random(in: 1...budget, using: &generator) }
      let cut = runs(costs, budget: budget).runs
      // Consecutive and covering: in order, none left out, none twice.
      #expect(cut.flatMap { Array($0) } == Array(0..<count), "\(costs) \(budget)")
      for (number, run) in cut.enumerated() {
        #expect(!run.isEmpty)
        #expect(costs[run].reduce(0, +) <= budget, "run \(run) of \(costs) over \(budget)")
        // Greedy: the next answer would not have fitted.
        if number + 1 < cut.count { #expect(costs[run].reduce(0, +) + costs[run.upperBound] > budget) }
      }
    }
  }

  @Test func anAnswerTooLongAloneIsARunOfItsOwn() {
    #expect(runs([3, 50, 4, 4], budget: 10).runs == [0..<1, 1..<2, 2..<4])
    #expect(runs([], budget: 10).runs == [])
  }

  @Test func aLongRunCostsLogarithmicallyManyChecks() {
    let cut = runs(Array(repeating: 1, count: 1000), budget: 1000)
    #expect(cut.runs == [0..<1000])
    #expect(cut.checks <= 12)
  }
}
