import EmbedStore
import Foundation
@testable import Recall
import RecsysTestSupport
import XCTest

/// The index's stored layout: bucket-list entries as narrow as the row
/// numbers allow, and an automatic table count bounded by memory.
final class IndexLayoutTests: XCTestCase {
    /// Row numbers up to 2^24 fit 3 bytes; one more row needs 4.
    func testEntryWidthFollowsRowCount() {
        XCTAssertEqual(IndexInfo.entryWidth(slots: 1), 3)
        XCTAssertEqual(IndexInfo.entryWidth(slots: 1 << 24), 3)
        XCTAssertEqual(IndexInfo.entryWidth(slots: (1 << 24) + 1), 4)
        XCTAssertEqual(LSHIndex.listByteCount(entries: 10_000, width: 3), 30_001, "a padding byte for the 4-byte load of the last entry")
        XCTAssertEqual(LSHIndex.listByteCount(entries: 10_000, width: 4), 40_000)
        XCTAssertEqual(LSHIndex.listByteCount(entries: 3, width: 3), 4096)
    }

    /// 3-byte and 4-byte bucket lists give the same candidates and answers
    /// (the 4-byte layout is what tables past 2^24 rows and format-5 indexes
    /// use), and the 3-byte one stores a quarter fewer entry bytes.
    func testEntryWidthsGiveTheSameAnswers() throws {
        let data = ClusteredVectors(n: 20_000, queries: 50, dim: 32, clusters: 50)
        var answers: [[[Int]]] = [], candidates: [[Int]] = [], bytes: [Int] = []
        for width in [3, 4] {
            let t = try TempStore()
            try data.load(into: t.store, table: "v")
            let info = try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: 6, bits: 10, probes: 3),
                                          metric: .cosine, seed: 7, entryWidth: width, log: nil)
            XCTAssertEqual(info.entryWidth, width)
            bytes.append(info.bytes)
            let snapshot = try RecallSnapshot(store: t.store, table: "v")
            let results = try data.queries.map { try snapshot.search($0, options: SearchOptions(k: 10)) }
            XCTAssertTrue(results.allSatisfy { $0.method != .exact })
            answers.append(results.map { $0.hits.map(\.row) })
            candidates.append(results.map(\.candidates))
        }
        XCTAssertEqual(answers[0], answers[1])
        XCTAssertEqual(candidates[0], candidates[1])
        XCTAssertEqual(bytes[1] - bytes[0], 6 * (20_000 - 1), "6 tables of 20,000 entries, one byte narrower, less each list's padding byte")
    }

    /// An index written in format 5 (4-byte entries, no width recorded)
    /// still serves; an unknown format is stale and searches exactly.
    func testFormatFiveIndexStillServes() throws {
        let t = try TempStore()
        let data = ClusteredVectors(n: 5_000, queries: 10, dim: 16, clusters: 20)
        try data.load(into: t.store, table: "v")
        try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: 4, bits: 8, probes: 2),
                           metric: .cosine, seed: 7, entryWidth: 4, log: nil)
        let expected = try RecallSnapshot(store: t.store, table: "v").search(data.queries[0], options: SearchOptions(k: 10))
        func rewrite(format: Int, entryBytes: Int?) throws {
            try t.store.write { txn in
                var info = try XCTUnwrap(try IndexInfo.load(txn, table: "v"))
                info.format = format
                info.entryBytes = entryBytes
                try info.save(txn)
            }
        }
        try rewrite(format: 5, entryBytes: nil)
        let old = try RecallSnapshot(store: t.store, table: "v")
        XCTAssertNil(old.staleNote)
        let r = try old.search(data.queries[0], options: SearchOptions(k: 10))
        XCTAssertEqual(r.method, expected.method)
        XCTAssertEqual(r.hits.map(\.row), expected.hits.map(\.row))
        try rewrite(format: 4, entryBytes: nil)
        let foreign = try RecallSnapshot(store: t.store, table: "v")
        XCTAssertNotNil(foreign.staleNote)
        XCTAssertEqual(try foreign.search(data.queries[0], options: SearchOptions(k: 10)).method, .exact)
    }

    /// The automatic table count keeps bucket lists within a sixth of the
    /// vectors' bytes, between 8 and 16 tables.
    func testAutomaticTablesStayWithinTheMemoryBudget() throws {
        XCTAssertEqual(LSHIndex.automaticTableLimit(rows: 10_000_000, dimension: 64, bits: 20), 12)
        XCTAssertEqual(LSHIndex.automaticTableLimit(rows: 1_000_000, dimension: 256, bits: 17), 16)
        XCTAssertEqual(LSHIndex.automaticTableLimit(rows: 1_000_000, dimension: 8, bits: 17), 8)
        let t = try TempStore()
        let data = ClusteredVectors(n: 50_000, queries: 1)
        try data.load(into: t.store, table: "v")
        let info = try LSHIndex.build(store: t.store, table: "v")
        let lists = info.parameters.tables * (LSHIndex.listByteCount(entries: 50_000, width: 3) + ((1 << info.parameters.bits) + 1) * 4)
        XCTAssertLessThanOrEqual(lists, 50_000 * 64 * 4 / 6, "\(info.parameters)")
        XCTAssertLessThanOrEqual(info.parameters.tables, LSHIndex.automaticTableLimit(rows: 50_000, dimension: 64, bits: info.parameters.bits))
    }

    /// With the 8-bit row copy, re-scoring two candidates per result keeps
    /// the answers of re-scoring all of them (the copy orders them nearly
    /// exactly, which the 64-bit sketch does not), and a row upserted after
    /// the build, which has no copy, is still found.
    func testQuantizedCopyChoosesWhatToRescore() throws {
        let t = try TempStore()
        let data = ClusteredVectors(n: 20_000, queries: 100, dim: 32, clusters: 50)
        try data.load(into: t.store, table: "v")
        let info = try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: 8, bits: 10, probes: 4, rescore: 2, quantized: true))
        XCTAssertTrue(info.parameters.quantized)
        XCTAssertEqual(info.parameters.rescore, 2)
        let snapshot = try RecallSnapshot(store: t.store, table: "v")
        var same = 0, total = 0, sketchSame = 0
        for q in data.queries {
            let all = try snapshot.search(q, options: SearchOptions(k: 10, rescore: 0))
            let few = try snapshot.search(q, options: SearchOptions(k: 10))
            XCTAssertLessThan(few.candidates, 30, "about rescore x k candidates are re-scored")
            XCTAssertGreaterThan(few.gathered, few.candidates)
            same += Set(all.hits.map(\.row)).intersection(few.hits.map(\.row)).count
            total += all.hits.count
        }
        XCTAssertGreaterThanOrEqual(Double(same) / Double(total), 0.97, "the 8-bit order keeps the exact top 10")
        // the sketch, asked for the same few, keeps far fewer of them
        try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: 8, bits: 10, probes: 4, rescore: 2))
        let sketched = try RecallSnapshot(store: t.store, table: "v")
        for q in data.queries {
            let all = try sketched.search(q, options: SearchOptions(k: 10, rescore: 0))
            let few = try sketched.search(q, options: SearchOptions(k: 10))
            sketchSame += Set(all.hits.map(\.row)).intersection(few.hits.map(\.row)).count
        }
        XCTAssertLessThan(sketchSame, same)

        try LSHIndex.build(store: t.store, table: "v", parameters: IndexParameters(tables: 8, bits: 10, probes: 4, rescore: 1, quantized: true))
        let q = data.queries[3]
        try t.store.write { txn in
            let r = try txn.upsert(table: "v", id: "new", vector: q)
            try LSHIndex.applyChange(txn, table: "v", row: r.row)
        }
        let s = try RecallSnapshot(store: t.store, table: "v")
        XCTAssertEqual(s.id(ofRow: try s.search(q, options: SearchOptions(k: 10)).hits[0].row), "new")
    }
}
