import NightdeskQueue
import NightdeskSupport

/// What `nightdesk report` shows of a batch: one entry per submitted document (its
/// map-reduce group), and every failure with its reason.
struct BatchReport {
  var batch: String
  var documents: [DocumentReport]

  /// The batch's typed jobs grouped by document, in submission order; jobs submitted
  /// without a type are not documents and are left out.
  init(batch: String, records: [JobRecord]) {
    self.batch = batch
    var order: [String] = []
    var groups: [String: [JobRecord]] = [:]
    for record in records {
      guard let group = record.spec?.group?.id else { continue }
      if groups[group] == nil { order.append(group) }
      groups[group, default: []].append(record)
    }
    documents = order.map { DocumentReport(group: groups[$0] ?? []) }
  }

  var failures: [(source: String, error: String)] {
    documents.flatMap { document in document.failures.map { (document.source, $0) } }
  }

  var json: JSONValue {
    [
      "batch": .string(batch), "documents": .array(documents.map(\.json)),
      "failures": .array(failures.map { ["source": .string($0.source), "error": .string($0.error)] }),
    ]
  }

  /// Sentiment counts per entity across the documents, when results name entities and
  /// sentiments (news-digest: a document's `sentiment` for its `entities`; social-sentiment:
  /// each post's own `entity` and `sentiment`).
  var sentimentByEntity: [(entity: String, counts: [(String, Int)])] {
    var table: [String: [String: Int]] = [:]
    var order: [String] = []
    func count(_ entity: String, _ sentiment: String) {
      if table[entity] == nil { order.append(entity) }
      table[entity, default: [:]][sentiment, default: 0] += 1
    }
    for document in documents {
      guard let result = document.result else { continue }
      let overall = result["sentiment"]?.stringValue
      for (_, value) in result.pairs {
        for item in value.arrayValue ?? [] {
          guard let object = item.objectValue else { continue }
          guard let entity = object["entity"]?.stringValue ?? object["name"]?.stringValue else { continue }
          if let sentiment = object["sentiment"]?.stringValue ?? overall { count(entity, sentiment) }
        }
      }
    }
    return order.map { entity in (entity, (table[entity] ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
  }
}
