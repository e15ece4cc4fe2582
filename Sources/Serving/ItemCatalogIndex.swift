import CKernels
import EmbedStore

/// Every item of one store snapshot, for title search and genre rows.
///
/// Titles are lower-cased into one contiguous buffer, each preceded by a
/// newline, and a query is found with glibc's `memmem` (two-way search over
/// the whole buffer): no per-item work but for matches.
/// Rules: matching is case-insensitive (Unicode lower-casing) on the title,
/// or on the id when the item has no title; a match at the start of the
/// title ranks first, then one at the start of a word, then any other; ties
/// keep catalogue order (ids numerically when every id is a number).
package final class ItemCatalogIndex: @unchecked Sendable {
    package let items: [Item]
    /// Genre and the number of items holding it, most items first.
    package let genres: [(genre: String, items: Int)]
    private let text: [UInt8]
    /// Offset in `text` of each item's lower-cased title.
    private let starts: [Int]

    package init(items unordered: [Item]) {
        let numeric = unordered.allSatisfy { Int($0.id) != nil }
        items = numeric ? unordered.sorted { Int($0.id)! < Int($1.id)! } : unordered
        var text: [UInt8] = [], starts: [Int] = []
        text.reserveCapacity(items.count * 32)
        var counts: [String: Int] = [:]
        for item in items {
            text.append(UInt8(ascii: "\n"))
            starts.append(text.count)
            text.append(contentsOf: (item.title ?? item.id).lowercased().utf8.map { $0 == UInt8(ascii: "\n") ? UInt8(ascii: " ") : $0 })
            for g in item.genres { counts[g, default: 0] += 1 }
        }
        text.append(UInt8(ascii: "\n"))
        self.text = text
        self.starts = starts
        genres = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Items whose title contains `query` (all items when empty) and, when
    /// given, that hold `genre`; best matches first. `total` counts every match.
    package func search(_ query: String, genre: String? = nil, limit: Int) -> (total: Int, items: [Item]) {
        let needle = Array(query.lowercased().utf8.filter { $0 != UInt8(ascii: "\n") })
        let wanted = { (i: Int) in genre.map { self.items[i].genres.contains($0) } ?? true }
        guard !needle.isEmpty else {
            let all = items.indices.filter(wanted)
            return (all.count, all.prefix(limit).map { items[$0] })
        }
        // matches arrive in catalogue order: one bucket per rank keeps the
        // first `limit` of each, so no sort over thousands of matches
        var buckets: [[Int]] = [[], [], []], total = 0
        text.withUnsafeBytes { hay in
            needle.withUnsafeBytes { n in
                var from = 0
                while from < hay.count, let hit = recsys_memmem(hay.baseAddress! + from, hay.count - from, n.baseAddress!, n.count) {
                    let offset = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
                    let i = itemIndex(at: offset)
                    if wanted(i) {
                        total += 1
                        let rank = offset == starts[i] ? 0 : (Self.isWordByte(hay[offset - 1]) ? 2 : 1)
                        if buckets[rank].count < limit { buckets[rank].append(i) }
                    }
                    // one entry per item (the first match in its title decides its rank): go on after this title
                    from = i + 1 < starts.count ? starts[i + 1] : hay.count
                }
            }
        }
        return (total, buckets.joined().prefix(limit).map { items[$0] })
    }

    /// The item whose title holds byte `offset` (the last start at or before it).
    private func itemIndex(at offset: Int) -> Int {
        var lo = 0, hi = starts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A) || b >= 0x80
    }
}
