//! Rows encoded in ClickHouse's `RowBinary` format as they are produced,
//! for a writer that holds many rows until an insert: [`EncodedRows`]
//! keeps them in chunks that end at row boundaries, which [`insert`]
//! sends as they are (`INSERT ... FORMAT RowBinary`) and a retry
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

/// Rows of one row type, encoded. The first chunk grows as rows come (a
/// small batch stays small); each later one is allocated at about its final
/// size, so a large batch is not copied as it grows (unless one row is
/// larger than the room left).
#[derive(Debug, Default)]
pub struct EncodedRows {
    /// Full chunks, then the one being filled (if any).
    chunks: Vec<Vec<u8>>,
    rows: usize,
}

impl EncodedRows {
    /// Appends `row`. On error nothing is appended.
    pub fn push<R: Row + Serialize>(&mut self, row: &R) -> Result<(), EncodeError> {
        let out = self.open_chunk();
        let before = out.len();
        if let Err(e) = encode(out, row) {
            out.truncate(before);
            if out.is_empty() {
                self.chunks.pop();
            }
            return Err(e);
        }
        self.rows += 1;
        Ok(())
    }

    /// Appends one row that `write` encodes as RowBinary.
    pub fn push_encoded(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(self.open_chunk());
        self.rows += 1;
    }

    /// The chunk rows go into: the last one, or a new one once the last is
    /// full.
    fn open_chunk(&mut self) -> &mut Vec<u8> {
        match self.chunks.last() {
            None => self.chunks.push(Vec::new()),
            // Room for the rows that take the chunk past its size.
            Some(last) if last.len() >= CHUNK_BYTES => self
                .chunks
                .push(Vec::with_capacity(CHUNK_BYTES + CHUNK_BYTES / 4)),
            Some(_) => {}
        }
        let last = self.chunks.len() - 1;
        &mut self.chunks[last]
    }

    /// Where the rows end now, for [`EncodedRows::truncate`].
    pub fn mark(&self) -> Mark {
        Mark {
            chunks: self.chunks.len(),
            last_len: self.chunks.last().map_or(0, Vec::len),
            rows: self.rows,
        }
    }

    /// Drops the rows pushed after `mark`.
    pub fn truncate(&mut self, mark: Mark) {
        self.chunks.truncate(mark.chunks);
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(mark.last_len);
        }
        self.rows = mark.rows;
    }

    /// The rows as chunks to send, each ending at a row boundary.
    pub fn into_chunks(self) -> EncodedChunks {
        EncodedChunks {
            chunks: self
                .chunks
                .into_iter()
                .filter(|c| !c.is_empty())
                .map(Bytes::from)
                .collect(),
            rows: self.rows,
        }
    }
}

/// A position in [`EncodedRows`].
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    chunks: usize,
    last_len: usize,
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

/// Appends `text` as a RowBinary `String`: its length (LEB128), then its
/// bytes.
pub fn put_str(out: &mut Vec<u8>, text: &str) {
    put_bytes(out, text.as_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    leb128(out, bytes.len());
    out.extend_from_slice(bytes);
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

fn encode<R: Serialize + ?Sized>(out: &mut Vec<u8>, value: &R) -> Result<(), EncodeError> {
    value.serialize(&mut Encoder(out))
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
        put_bytes(self.0, v);
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

    fn sample(text: &str) -> Sample<'_> {
        Sample {
            text,
            small: 1,
            big: 2,
            maybe: None,
            flag: 0,
        }
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
        let mut rows = EncodedRows::default();
        rows.push(&sample("kept")).unwrap();
        let mark = rows.mark();
        let long = "z".repeat(CHUNK_BYTES);
        rows.push(&sample(&long)).unwrap();
        rows.truncate(mark);
        let mut expected = EncodedRows::default();
        expected.push(&sample("kept")).unwrap();
        let (got, expected) = (rows.into_chunks(), expected.into_chunks());
        assert_eq!(got.rows, 1);
        assert_eq!(got.chunks, expected.chunks);
    }

    #[test]
    fn truncate_drops_a_chunk_started_after_the_mark() {
        let long = "z".repeat(CHUNK_BYTES);
        let mut rows = EncodedRows::default();
        rows.push(&sample(&long)).unwrap();
        let mark = rows.mark();
        rows.push(&sample("next chunk")).unwrap();
        assert_eq!(rows.chunks.len(), 2, "the first chunk was full");
        rows.truncate(mark);
        rows.push(&sample("again")).unwrap();
        let chunks = rows.into_chunks();
        assert_eq!(chunks.rows, 2);
        assert_eq!(chunks.chunks.len(), 2);
        let mut alone = EncodedRows::default();
        alone.push(&sample("again")).unwrap();
        assert_eq!(chunks.chunks[1], alone.into_chunks().chunks[0]);
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
