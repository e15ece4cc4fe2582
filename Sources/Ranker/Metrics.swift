import Foundation

/// Binary classification metrics, computed exactly (no threshold buckets).
public struct Metrics: Codable, Sendable, Equatable {
    /// Mean binary cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7]).
    public var logloss: Double
    /// Fraction right at a 0.5 threshold.
    public var accuracy: Double
    /// Area under the ROC curve; tied scores count one half (Mann-Whitney).
    public var rocAUC: Double
    /// Area under the precision-recall curve as average precision, tied
    /// scores taken as one threshold (the step-wise exact value).
    public var prAUC: Double
    /// Rows evaluated.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case logloss, accuracy, rocAUC = "roc_auc", prAUC = "pr_auc", count
    }

    /// Metrics of `predictions` (probabilities) against 0/1 `labels`.
    public static func compute(labels: [Float], predictions: [Float]) -> Metrics {
        precondition(labels.count == predictions.count)
        let n = labels.count
        var loss = 0.0, right = 0
        for i in 0..<n {
            let p = min(max(Double(predictions[i]), 1e-7), 1 - 1e-7)
            loss -= labels[i] > 0.5 ? log(p) : log(1 - p)
            if (predictions[i] >= 0.5) == (labels[i] > 0.5) { right += 1 }
        }
        let order = (0..<n).sorted { predictions[$0] > predictions[$1] }
        let positives = labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) }
        let negatives = n - positives
        // ROC AUC: over groups of tied scores, descending
        var auc = 0.0, ap = 0.0
        var tp = 0, fp = 0
        var i = 0
        while i < n {
            var j = i, groupPos = 0, groupNeg = 0
            while j < n && predictions[order[j]] == predictions[order[i]] {
                if labels[order[j]] > 0.5 { groupPos += 1 } else { groupNeg += 1 }
                j += 1
            }
            // each negative in the group ranks below all positives seen so far, and ties half
            auc += Double(groupNeg) * (Double(tp) + 0.5 * Double(groupPos))
            let previousRecall = positives == 0 ? 0 : Double(tp) / Double(positives)
            tp += groupPos
            fp += groupNeg
            if positives > 0 && groupPos > 0 {
                ap += (Double(tp) / Double(positives) - previousRecall) * Double(tp) / Double(tp + fp)
            }
            i = j
        }
        let roc = positives == 0 || negatives == 0 ? 0.5 : auc / (Double(positives) * Double(negatives))
        return Metrics(logloss: n == 0 ? 0 : loss / Double(n), accuracy: n == 0 ? 0 : Double(right) / Double(n), rocAUC: roc, prAUC: ap, count: n)
    }
}
