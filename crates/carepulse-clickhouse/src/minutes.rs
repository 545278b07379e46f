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
            let minute = MinuteCountWrite::new(row, version);
            out.push_encoded(|bytes| {
                bytes.extend_from_slice(&minute.minute.to_le_bytes());
                bytes.extend_from_slice(columns);
                let c = &row.counts;
                for n in [c.responses, c.valid] {
                    bytes.extend_from_slice(&n.to_le_bytes());
                }
                bytes.extend_from_slice(&c.linear_sum.to_le_bytes());
                for n in [
                    c.top_box,
                    c.bottom_box,
                    c.positive,
                    c.negative,
                    c.dont_know,
                    c.promoters,
                    c.passives,
                    c.detractors,
                ] {
                    bytes.extend_from_slice(&n.to_le_bytes());
                }
                bytes.extend_from_slice(&version.to_le_bytes());
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
    use carepulse_engine::{Engine, EngineConfig};
    use carepulse_model::EventView;

    fn event(id: &str, department: &str, minute: u32) -> String {
        format!(
            r#"{{"v":1,"event_id":"{id}","occurred_at":"2026-11-21T09:{minute:02}:00Z","responded_at":"2026-11-21T09:{minute:02}:00Z","received_at":"2026-11-21T09:{minute:02}:30Z","organisation":"o","facility":"f","department":"{department}","journey":"ed-visit","stage":"triage","touchpoint":"t","experience":"patient","channel":"sms","respondent_role":"patient","questionnaire":"q","overall":{{"question":"overall","scale":"rating_0_10","value":9}},"items":[{{"question":"wait","scale":"csat_1_5","value":2}}],"consent_to_contact":false}}"#
        )
    }

    #[test]
    fn encodes_the_same_bytes_as_the_row_type() {
        let mut engine = Engine::new(EngineConfig::default());
        for (i, (department, minute)) in [("ed", 1), ("ed", 1), ("ed", 2), ("icu", 2)]
            .into_iter()
            .enumerate()
        {
            let json = event(&format!("e{i}"), department, minute);
            engine.record(&EventView::from_json(json.as_bytes()).unwrap());
        }
        let rows = engine.drain_minutes();
        assert_eq!(rows.len(), 6, "three cell-minutes, two questions each");
        let versioned = || rows.iter().enumerate().map(|(i, r)| (r, 100 + i as u64));
        let mut field_by_field = EncodedRows::default();
        for (row, version) in versioned() {
            field_by_field
                .push(&MinuteCountWrite::new(row, version))
                .unwrap();
        }
        let expected = field_by_field.into_chunks();
        let mut encoder = MinuteEncoder::default();
        for round in ["first", "second, from the kept columns"] {
            let got = encoder.encode(versioned());
            assert_eq!(got.rows, 6, "{round}");
            assert_eq!(got.chunks, expected.chunks, "{round}");
        }
        assert_eq!(encoder.cells.len(), 4, "each cell's columns encoded once");
    }
}
