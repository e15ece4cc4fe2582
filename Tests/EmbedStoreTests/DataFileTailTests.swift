import CLMDB
@testable import EmbedStore
import Foundation
import RecsysTestSupport
import XCTest

/// A data file may end before its last page when that tail was allocated and
/// freed without being written; it must open. A tail holding live pages must
/// be refused before LMDB maps it (touching it would raise SIGBUS).
final class DataFileTailTests: XCTestCase {
    func testNeverWrittenFreeTailOpensAndLiveTailIsRefused() throws {
        let dir = TempDir()
        let path = dir.file("s.lmdb"), data = path + "/data.mdb"
        do {
            let store = try Store(path: path)
            try store.write { txn in
                let b = try TableBuilder(txn: txn, name: "t", kind: .pretrained, source: "test")
                for (i, v) in randomVectors(2000, 8, seed: 3).enumerated() { try b.append(id: "id-\(i)", vector: v) }
                try b.finish()
            }
            // Overflow pages allocated and freed in one transaction go to the
            // free list unwritten, at the end of the file, once that
            // transaction has reused free pages (the first put reuses what the
            // previous transaction freed).
            try store.write { txn in _ = try txn.put(.models, Array("a".utf8), [1]) }
            try store.write { txn in
                _ = try txn.put(.models, Array("a".utf8), [2])
                _ = try txn.put(.models, Array("big".utf8), [UInt8](repeating: 7, count: 1 << 20))
                _ = try txn.delete(.models, Array("big".utf8))
            }
            var info = MDB_envinfo(), stat = MDB_stat()
            mdb_env_info(store.env, &info)
            mdb_env_stat(store.env, &stat)
            let size = try FileManager.default.attributesOfItem(atPath: data)[.size] as! Int
            XCTAssertLessThan(size, (info.me_last_pgno + 1) * Int(stat.ms_psize), "the precondition: a never-written tail")
        }
        let reopened = try Store(path: path)
        try reopened.read { txn in XCTAssertEqual(try txn.table("t").count, 2000) }

        let full = try Data(contentsOf: URL(fileURLWithPath: data))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: data))
        XCTAssertThrowsError(try Store(path: path)) { error in
            XCTAssertTrue("\(error)".contains("data.mdb is truncated"), "\(error)")
        }
    }
}
