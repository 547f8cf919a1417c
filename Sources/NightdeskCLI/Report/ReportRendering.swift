import NightdeskSupport

/// `ReportBlock`s as Markdown and as a standalone HTML page; the batch as CSV.
extension BatchReport {
  var markdown: String {
    outline.map { block in
      switch block {
      case .heading(let level, let text): return String(repeating: "#", count: level) + " " + text + "\n"
      case .paragraph(let text): return text + "\n"
      case .bullets(let items): return items.map { "- " + $0 }.joined(separator: "\n") + "\n"
      }
    }.joined(separator: "\n")
  }

  var html: String {
    var out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Report for batch \(Self.escaped(batch))</title></head><body>\n"
    for block in outline {
      switch block {
      case .heading(let level, let text): out += "<h\(level)>\(Self.escaped(text))</h\(level)>\n"
      case .paragraph(let text): out += "<p>\(Self.escaped(text))</p>\n"
      case .bullets(let items): out += "<ul>\n" + items.map { "<li>\(Self.escaped($0))</li>\n" }.joined() + "</ul>\n"
      }
    }
    return out + "</body></html>\n"
  }

  static func escaped(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(character)
      }
    }
    return out
  }

  /// One row per document; the results' top-level scalar fields as columns, in order of
  /// first appearance.
  var csv: String {
    var columns: [String] = []
    for document in documents {
      for (key, value) in document.result?.pairs ?? [] where value.arrayValue == nil && value.objectValue == nil {
        if !columns.contains(key) { columns.append(key) }
      }
    }
    var table = CSVTable(header: ["source", "job_type", "status", "error"] + columns)
    for document in documents {
      let fields: [CSVTable.Cell] = columns.map { key in
        switch document.result?[key] {
        case .string(let text)?: return .text(text)
        case .some(let value) where !value.isNull: return .plain(JSONWriter.string(value))
        default: return .empty
        }
      }
      table.append([.text(document.source), .plain(document.jobType), .plain(document.status),
                    document.error.map { .text($0) } ?? .empty] + fields)
    }
    return table.text
  }
}
