//! Rows encoded in ClickHouse's `RowBinary` format as they are produced,
//! for a writer that holds many rows until an insert: [`EncodedRows`]
//! keeps them as one buffer, cut into chunks at row boundaries, that
//! [`insert`] sends as they are (`INSERT ... FORMAT RowBinary`) and a retry
//! sends again. The processor encodes each counted event while its message is
//! still in cache; encoding at insert time read every held event again
//! from memory and cost a copy and an allocation per event.
//!
//! The encoding is the one the `clickhouse` crate writes for the same row
//! types (strings with a LEB128 length, little-endian numbers, `Option` as
//! `Nullable`); a test inserts rows both ways into ClickHouse and reads
//! them back.

use std::time::Duration;

use bytes::Bytes;
use clickhouse::{Client, Row};
use serde::ser::{self, Impossible, Serialize};

/// Chunks are cut after the row that takes them to this size (what the
/// `clickhouse` crate sends per chunk).
pub const CHUNK_BYTES: usize = 256 * 1024;

/// A row type [`EncodedRows`] cannot encode (a bug in the row type).
#[derive(Debug, thiserror::Error)]
#[error("cannot encode a row as RowBinary: {0}")]
pub struct EncodeError(String);

impl ser::Error for EncodeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        EncodeError(msg.to_string())
    }
}

/// Rows of one row type, encoded.
#[derive(Debug, Default)]
pub struct EncodedRows {
    bytes: Vec<u8>,
    chunk_ends: Vec<usize>,
    rows: usize,
}

impl EncodedRows {
    /// Appends `row`. On error nothing is appended.
    pub fn push<R: Row + Serialize>(&mut self, row: &R) -> Result<(), EncodeError> {
        let before = self.bytes.len();
        if let Err(e) = row.serialize(&mut Encoder(&mut self.bytes)) {
            self.bytes.truncate(before);
            return Err(e);
        }
        self.rows += 1;
        let chunk_start = self.chunk_ends.last().copied().unwrap_or(0);
        if self.bytes.len() - chunk_start >= CHUNK_BYTES {
            self.chunk_ends.push(self.bytes.len());
        }
        Ok(())
    }

    /// Where the rows end now, for [`EncodedRows::truncate`].
    pub fn mark(&self) -> Mark {
        Mark {
            bytes: self.bytes.len(),
            chunks: self.chunk_ends.len(),
            rows: self.rows,
        }
    }

    /// Drops the rows pushed after `mark`.
    pub fn truncate(&mut self, mark: Mark) {
        self.bytes.truncate(mark.bytes);
        self.chunk_ends.truncate(mark.chunks);
        self.rows = mark.rows;
    }

    /// The rows as chunks to send, each ending at a row boundary.
    pub fn into_chunks(self) -> EncodedChunks {
        let bytes = Bytes::from(self.bytes);
        let mut chunks = Vec::with_capacity(self.chunk_ends.len() + 1);
        let mut start = 0;
        for end in self.chunk_ends.into_iter().chain([bytes.len()]) {
            if end > start {
                chunks.push(bytes.slice(start..end));
            }
            start = end;
        }
        EncodedChunks {
            chunks,
            rows: self.rows,
        }
    }
}

/// A position in [`EncodedRows`].
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    bytes: usize,
    chunks: usize,
    rows: usize,
}

/// Encoded rows ready to send; cloning shares the bytes.
#[derive(Debug, Clone, Default)]
pub struct EncodedChunks {
    /// The chunks, in order.
    pub chunks: Vec<Bytes>,
    /// Rows in all chunks.
    pub rows: usize,
}

impl EncodedChunks {
    /// Appends the chunks of `other`.
    pub fn extend(&mut self, other: EncodedChunks) {
        self.chunks.extend(other.chunks);
        self.rows += other.rows;
    }
}

/// Sends `rows` (rows of `T`) into `table` in one insert, chunk by chunk
/// as they are; `send` and `end` bound the time to send a chunk and to get
/// the server's answer.
pub async fn insert<T: Row>(
    client: &Client,
    table: &str,
    rows: &EncodedChunks,
    send: Option<Duration>,
    end: Option<Duration>,
) -> clickhouse::error::Result<()> {
    let columns: Vec<String> = T::COLUMN_NAMES.iter().map(|c| format!("`{c}`")).collect();
    let sql = format!(
        "INSERT INTO {table}({}) FORMAT RowBinary",
        columns.join(",")
    );
    let mut insert = client.insert_formatted_with(sql).with_timeouts(send, end);
    for chunk in &rows.chunks {
        insert.send(chunk.clone()).await?;
    }
    insert.end().await
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Encoder<'o>(&'o mut Vec<u8>);

/// Serializer methods writing numbers little-endian, as RowBinary does.
macro_rules! little_endian {
    ($($method:ident: $type:ty,)*) => {
        $(
            fn $method(self, v: $type) -> Result<(), EncodeError> {
                self.0.extend_from_slice(&v.to_le_bytes());
                Ok(())
            }
        )*
    };
}

fn unsupported<T>(what: &str) -> Result<T, EncodeError> {
    Err(EncodeError(format!(
        "{what} is not a column type carepulse writes"
    )))
}

impl<'o> ser::Serializer for &mut Encoder<'o> {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Impossible<(), EncodeError>;
    type SerializeTuple = Impossible<(), EncodeError>;
    type SerializeTupleStruct = Impossible<(), EncodeError>;
    type SerializeTupleVariant = Impossible<(), EncodeError>;
    type SerializeMap = Impossible<(), EncodeError>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Impossible<(), EncodeError>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.0.push(u8::from(v));
        Ok(())
    }
    little_endian! {
        serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64,
    }
    fn serialize_char(self, _: char) -> Result<(), EncodeError> {
        unsupported("char")
    }
    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.serialize_bytes(v.as_bytes())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        leb128(self.0, v.len());
        self.0.extend_from_slice(v);
        Ok(())
    }
    /// `Nullable`: 1 for NULL.
    fn serialize_none(self) -> Result<(), EncodeError> {
        self.0.push(1);
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), EncodeError> {
        self.0.push(0);
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), EncodeError> {
        unsupported("unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), EncodeError> {
        unsupported("a unit struct")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), EncodeError> {
        unsupported("an enum")
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), EncodeError> {
        unsupported("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, EncodeError> {
        unsupported("an array")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, EncodeError> {
        unsupported("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, EncodeError> {
        unsupported("a tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, EncodeError> {
        unsupported("an enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, EncodeError> {
        unsupported("a map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, EncodeError> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, EncodeError> {
        unsupported("an enum")
    }
}

impl<'o> ser::SerializeStruct for &mut Encoder<'o> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        _: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<(), EncodeError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;

    #[derive(Row, Serialize)]
    struct Sample<'a> {
        text: &'a str,
        small: u16,
        big: u64,
        maybe: Option<f64>,
        flag: u8,
    }

    #[test]
    fn encodes_each_type_as_rowbinary() {
        let mut rows = EncodedRows::default();
        let long = "x".repeat(300);
        rows.push(&Sample {
            text: "ab",
            small: 0x0102,
            big: 7,
            maybe: None,
            flag: 1,
        })
        .unwrap();
        rows.push(&Sample {
            text: &long,
            small: 0,
            big: 0,
            maybe: Some(0.5),
            flag: 0,
        })
        .unwrap();
        let chunks = rows.into_chunks();
        assert_eq!(chunks.rows, 2);
        assert_eq!(chunks.chunks.len(), 1);
        let bytes = &chunks.chunks[0];
        let mut expected = vec![2, b'a', b'b', 0x02, 0x01, 7, 0, 0, 0, 0, 0, 0, 0, 1, 1];
        expected.extend([0xac, 0x02]); // 300 as LEB128
        expected.extend(long.as_bytes());
        expected.extend([0, 0]);
        expected.extend([0; 8]);
        expected.push(0);
        expected.extend(0.5f64.to_le_bytes());
        expected.push(0);
        assert_eq!(&bytes[..], &expected[..]);
    }

    #[test]
    fn truncate_drops_the_rows_after_the_mark() {
        let row = |text| Sample {
            text,
            small: 1,
            big: 2,
            maybe: None,
            flag: 0,
        };
        let mut rows = EncodedRows::default();
        rows.push(&row("kept")).unwrap();
        let mark = rows.mark();
        let long = "z".repeat(CHUNK_BYTES);
        rows.push(&row(&long)).unwrap();
        rows.truncate(mark);
        let mut expected = EncodedRows::default();
        expected.push(&row("kept")).unwrap();
        let (got, expected) = (rows.into_chunks(), expected.into_chunks());
        assert_eq!(got.rows, 1);
        assert_eq!(got.chunks, expected.chunks);
    }

    #[test]
    fn chunks_end_at_row_boundaries() {
        let mut rows = EncodedRows::default();
        let text = "y".repeat(1000);
        let row = Sample {
            text: &text,
            small: 1,
            big: 2,
            maybe: Some(1.0),
            flag: 1,
        };
        let mut one = EncodedRows::default();
        one.push(&row).unwrap();
        let row_len = one.into_chunks().chunks[0].len();
        for _ in 0..600 {
            rows.push(&row).unwrap();
        }
        let chunks = rows.into_chunks();
        assert_eq!(chunks.rows, 600);
        assert!(chunks.chunks.len() >= 2, "{} chunks", chunks.chunks.len());
        for chunk in &chunks.chunks {
            assert_eq!(chunk.len() % row_len, 0, "a chunk ends inside a row");
        }
        let total: usize = chunks.chunks.iter().map(Bytes::len).sum();
        assert_eq!(total, 600 * row_len);
    }
}
