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
        var ranked: [(rank: Int, index: Int)] = []
        text.withUnsafeBytes { hay in
            needle.withUnsafeBytes { n in
                var from = 0
                while from < hay.count, let hit = recsys_memmem(hay.baseAddress! + from, hay.count - from, n.baseAddress!, n.count) {
                    let offset = hay.baseAddress!.distance(to: UnsafeRawPointer(hit))
                    let i = itemIndex(at: offset)
                    if wanted(i) {
                        let before = offset == starts[i] ? nil : hay[offset - 1]
                        let rank = before == nil ? 0 : (before.map { !Self.isWordByte($0) } == true ? 1 : 2)
                        ranked.append((rank, i))
                    }
                    // one entry per item: continue after this item's title
                    from = i + 1 < starts.count ? starts[i + 1] : hay.count
                }
            }
        }
        // a later, better-ranked match in the same title is not looked for: the first one decides
        let best = ranked.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
        return (ranked.count, best.prefix(limit).map { items[$0.element.index] })
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
