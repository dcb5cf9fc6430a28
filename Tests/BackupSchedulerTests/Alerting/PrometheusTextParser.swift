import Foundation

/// A strict parser of the Prometheus text exposition format 0.0.4, written from the format's
/// specification (as node-exporter's textfile collector and Prometheus read it): HELP and TYPE
/// lines, samples with escaped label values, Go float values; it rejects what Prometheus rejects
/// (bad names, a TYPE after its samples or twice, interleaved families, duplicate series,
/// histograms whose buckets decrease or lack `+Inf` = `_count`, negative counters, no final newline).
struct PrometheusTextParser {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var type: String = "untyped"
        var help: String?
        var samples: [Sample] = []
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    /// The families by name, in the order they appeared.
    static func parse(_ text: String) throws -> [String: Family] {
        guard text.isEmpty || text.hasSuffix("\n") else { throw ParseError(line: 0, message: "the text does not end with a newline") }
        var families: [String: Family] = [:]
        var finished: Set<String> = []
        var current: String?
        var seenSeries: Set<String> = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).map(String.init)
                guard parts.count >= 3, parts[1] == "HELP" || parts[1] == "TYPE" else { continue }
                let name = parts[2]
                guard isMetricName(name) else { throw ParseError(line: number, message: "bad metric name '\(name)'") }
                try enter(name, &current, &finished, number)
                var family = families[name] ?? Family(name: name)
                if parts[1] == "TYPE" {
                    guard family.samples.isEmpty else { throw ParseError(line: number, message: "TYPE of \(name) after its samples") }
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
                        throw ParseError(line: number, message: "bad TYPE line")
                    }
                    guard family.type == "untyped" else { throw ParseError(line: number, message: "second TYPE for \(name)") }
                    family.type = parts[3]
                } else {
                    guard family.help == nil else { throw ParseError(line: number, message: "second HELP for \(name)") }
                    family.help = parts.count == 4 ? parts[3] : ""
                }
                families[name] = family
                continue
            }
            let sample = try parseSample(line, number)
            let familyName = family(of: sample.name, families)
            try enter(familyName, &current, &finished, number)
            var family = families[familyName] ?? Family(name: familyName)
            let key = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
            guard seenSeries.insert(key).inserted else { throw ParseError(line: number, message: "duplicate series \(key)") }
            if family.type == "counter" && sample.value < 0 { throw ParseError(line: number, message: "negative counter \(key)") }
            if family.type == "histogram" {
                guard sample.name == familyName + "_bucket" || sample.name == familyName + "_sum" || sample.name == familyName + "_count" else {
                    throw ParseError(line: number, message: "\(sample.name) is not a histogram sample of \(familyName)")
                }
                if sample.name.hasSuffix("_bucket") && sample.labels["le"] == nil {
                    throw ParseError(line: number, message: "bucket without le")
                }
            }
            family.samples.append(sample)
            families[familyName] = family
        }
        for family in families.values where family.type == "histogram" { try checkHistogram(family) }
        return families
    }

    /// Samples of a family are contiguous: once another family began, the earlier one is closed.
    private static func enter(_ name: String, _ current: inout String?, _ finished: inout Set<String>, _ line: Int) throws {
        guard current != name else { return }
        if finished.contains(name) { throw ParseError(line: line, message: "family \(name) is interleaved with another") }
        if let current { finished.insert(current) }
        current = name
    }

    private static func family(of sampleName: String, _ families: [String: Family]) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sampleName.hasSuffix(suffix) {
            let base = String(sampleName.dropLast(suffix.count))
            if let family = families[base], family.type == "histogram" || family.type == "summary" { return base }
        }
        return sampleName
    }

    private static func checkHistogram(_ family: Family) throws {
        var groups: [String: (buckets: [(Double, Double)], count: Double?)] = [:]
        for sample in family.samples {
            let key = sample.labels.filter { $0.key != "le" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            var group = groups[key] ?? ([], nil)
            if sample.name.hasSuffix("_bucket"), let le = sample.labels["le"] {
                guard let bound = goFloat(le) else { throw ParseError(line: 0, message: "bad le '\(le)'") }
                group.buckets.append((bound, sample.value))
            } else if sample.name.hasSuffix("_count") {
                group.count = sample.value
            }
            groups[key] = group
        }
        for (key, group) in groups {
            let sorted = group.buckets.sorted { $0.0 < $1.0 }
            guard let last = sorted.last, last.0 == .infinity else {
                throw ParseError(line: 0, message: "\(family.name){\(key)} has no +Inf bucket")
            }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.1 < a.1 {
                throw ParseError(line: 0, message: "\(family.name){\(key)} buckets decrease")
            }
            guard group.count == last.1 else { throw ParseError(line: 0, message: "\(family.name){\(key)} +Inf bucket differs from _count") }
        }
    }

    private static func parseSample(_ line: String, _ number: Int) throws -> Sample {
        let scalars = Array(line.unicodeScalars)
        var index = 0
        func fail(_ message: String) -> ParseError { ParseError(line: number, message: "\(message): \(line)") }
        var name = ""
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard isMetricName(name) else { throw fail("bad metric name") }
        var labels: [String: String] = [:]
        if index < scalars.count, scalars[index] == "{" {
            index += 1
            while true {
                guard index < scalars.count else { throw fail("unterminated labels") }
                if scalars[index] == "}" { index += 1; break }
                var labelName = ""
                while index < scalars.count, scalars[index] != "=" {
                    labelName.unicodeScalars.append(scalars[index])
                    index += 1
                }
                guard isLabelName(labelName), index + 1 < scalars.count, scalars[index + 1] == "\"" else { throw fail("bad label") }
                index += 2
                var value = ""
                while true {
                    guard index < scalars.count else { throw fail("unterminated label value") }
                    let c = scalars[index]
                    if c == "\"" { index += 1; break }
                    if c == "\\" {
                        guard index + 1 < scalars.count else { throw fail("dangling escape") }
                        switch scalars[index + 1] {
                        case "\\": value += "\\"
                        case "\"": value += "\""
                        case "n": value += "\n"
                        default: throw fail("bad escape")
                        }
                        index += 2
                        continue
                    }
                    value.unicodeScalars.append(c)
                    index += 1
                }
                guard labels[labelName] == nil else { throw fail("label \(labelName) twice") }
                labels[labelName] = value
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
        }
        let rest = String(String.UnicodeScalarView(scalars[index...])).split(separator: " ").map(String.init)
        guard (1...2).contains(rest.count), let value = goFloat(rest[0]) else { throw fail("bad value") }
        if rest.count == 2, Int64(rest[1]) == nil { throw fail("bad timestamp") }
        return Sample(name: name, labels: labels, value: value)
    }

    static func goFloat(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(text)
        }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == ":" }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
