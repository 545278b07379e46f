//! `score_minutes` rows encoded for an insert. A flush writes about one
//! row per answer, and a row is mostly its cell's eleven text columns, so
//! each cell's columns are encoded once and copied into every row of that
//! cell: the same bytes as [`MinuteCountWrite`] encoded field by field.

use std::sync::Arc;

use carepulse_engine::{Cell, MinuteRow};
use rustc_hash::FxHashMap;

use crate::rowbinary::{put_str, EncodedChunks, EncodedRows};
use crate::rows::MinuteCountWrite;

/// Encodes minute rows, keeping the encoded columns of every cell seen.
/// Grows with the number of cells (catalog-sized); [`MinuteEncoder::clear`]
/// lets go of them.
#[derive(Debug, Default)]
pub struct MinuteEncoder {
    /// By the cell's address; the `Arc` keeps the address from being
    /// reused by another cell.
    cells: FxHashMap<usize, (Arc<Cell>, Vec<u8>)>,
}

impl MinuteEncoder {
    /// `rows`, each with the version it is written with, as RowBinary rows
    /// of [`MinuteCountWrite`].
    pub fn encode<'r>(
        &mut self,
        rows: impl IntoIterator<Item = (&'r MinuteRow, u64)>,
    ) -> EncodedChunks {
        let mut out = EncodedRows::default();
        for (row, version) in rows {
            let columns = self.columns(&row.cell);
            let m = MinuteCountWrite::new(row, version);
            out.push_encoded(|bytes| {
                // Column by column, in the order of `MinuteCountWrite`.
                bytes.extend_from_slice(&m.minute.to_le_bytes());
                bytes.extend_from_slice(columns);
                for n in [m.responses, m.valid] {
                    bytes.extend_from_slice(&n.to_le_bytes());
                }
                bytes.extend_from_slice(&m.linear_sum.to_le_bytes());
                for n in [
                    m.top_box,
                    m.bottom_box,
                    m.positive,
                    m.negative,
                    m.dont_know,
                    m.promoters,
                    m.passives,
                    m.detractors,
                ] {
                    bytes.extend_from_slice(&n.to_le_bytes());
                }
                bytes.extend_from_slice(&m.version.to_le_bytes());
            });
        }
        out.into_chunks()
    }

    /// Forgets every cell (for a caller whose engines were dropped).
    pub fn clear(&mut self) {
        self.cells.clear();
    }

    fn columns(&mut self, cell: &Arc<Cell>) -> &[u8] {
        let address = Arc::as_ptr(cell) as usize;
        let (_, bytes) = self.cells.entry(address).or_insert_with(|| {
            // The text columns, in table order.
            let mut bytes = Vec::new();
            for text in cell.dims.iter().map(|d| d.as_str()) {
                put_str(&mut bytes, text);
            }
            put_str(&mut bytes, cell.question.as_str());
            put_str(&mut bytes, cell.scale.name());
            (Arc::clone(cell), bytes)
        });
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use carepulse_engine::{Counts, Interner};
    use carepulse_model::Scale;

    /// A cell whose every column differs from the others.
    fn cell(interner: &mut Interner, tag: &str) -> Arc<Cell> {
        let dims = [
            "fac", "org", "dep", "jou", "sta", "exp", "cha", "rol", "que",
        ]
        .map(|d| interner.intern(&format!("{d}-{tag}")));
        Arc::new(Cell {
            dims,
            question: interner.intern(&format!("question-{tag}")),
            scale: Scale::Rating0To10,
        })
    }

    /// Counts whose every field differs from the others.
    fn counts(base: u32) -> Counts {
        Counts {
            linear_sum: f64::from(base) + 0.25,
            responses: base + 1,
            valid: base + 2,
            top_box: base + 3,
            bottom_box: base + 4,
            positive: base + 5,
            negative: base + 6,
            dont_know: base + 7,
            promoters: base + 8,
            passives: base + 9,
            detractors: base + 10,
        }
    }

    #[test]
    fn encodes_the_same_bytes_as_the_row_type() {
        let mut interner = Interner::default();
        let cells = [cell(&mut interner, "a"), cell(&mut interner, "b")];
        // Enough rows to cross a chunk boundary, each cell many times.
        let rows: Vec<MinuteRow> = (0..3_000u32)
            .map(|i| MinuteRow {
                minute: 29_000_000 + i64::from(i),
                cell: Arc::clone(&cells[i as usize % 2]),
                counts: counts(i * 20),
            })
            .collect();
        let versioned = || rows.iter().enumerate().map(|(i, r)| (r, 1_000 + i as u64));
        let mut field_by_field = EncodedRows::default();
        for (row, version) in versioned() {
            field_by_field
                .push(&MinuteCountWrite::new(row, version))
                .unwrap();
        }
        let expected = field_by_field.into_chunks();
        assert!(expected.chunks.len() > 1, "crosses a chunk boundary");
        let mut encoder = MinuteEncoder::default();
        for round in ["first", "second, from the kept columns"] {
            let got = encoder.encode(versioned());
            assert_eq!(got.rows, rows.len(), "{round}");
            assert_eq!(got.chunks, expected.chunks, "{round}");
        }
        assert_eq!(encoder.cells.len(), 2, "each cell's columns encoded once");
    }
}
