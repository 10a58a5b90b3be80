import Bolt
import Foundation

/// Pre-flight of a batch statement's plan (from `EXPLAIN`, where the server returns one): a batch
/// must seek its items by id, never scan a label, an index or all nodes for them, or its cost grows
/// with the graph and the job turns into the guide's O(N^2/B) loop.
///
/// Plans come in two shapes: Neo4j's operator tree (`operatorType`, `identifiers`, `children`), and
/// ArcadeDB's single operator whose `string-representation` lists the steps as text lines
/// (`+ NodeByLabelScan(p:Project) [...]` for a scan, `MATCH NODE (p:Project) [id: per-row]` for a seek).
public enum BatchPlanCheck {
    /// The first operator that scans for the item `variable`, described for an error, or nil.
    public static func scan(in plan: BoltValue, variable: String) -> String? {
        guard let operator_ = plan.mapValue else { return nil }
        let type = operator_["operatorType"]?.stringValue ?? ""
        let identifiers = operator_["identifiers"]?.listValue?.compactMap(\.stringValue) ?? []
        if isScan(type), identifiers.contains(variable) {
            return type.split(separator: "@").first.map(String.init) ?? type
        }
        for value in operator_["args"]?.mapValue?.values.sorted(by: { "\($0)" < "\($1)" }) ?? [] {
            guard let text = value.stringValue else { continue }
            for line in text.split(separator: "\n") where isScan(String(line)) && line.contains("(\(variable):") {
                return line.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "+")))
            }
        }
        for child in operator_["children"]?.listValue ?? [] {
            if let found = scan(in: child, variable: variable) { return found }
        }
        return nil
    }

    /// Scans read every node of a label, an index or the graph; seeks (by id, by index value) do not.
    static func isScan(_ text: String) -> Bool {
        ["AllNodesScan", "LabelScan", "IndexScan", "TypeScan", "AllRelationshipsScan", "ContainsScan", "EndsWithScan"]
            .contains { text.contains($0) }
    }
}
