//! Reassembles MQTT packets (3.1.1 or 5) from the chunks a transport delivers.
//!
//! A WebSocket message (or a TCP read) may hold part of a packet, exactly one, or several
//! [MQTT-6.0.0-2]. Bytes go in with [`PacketReader::push`]; whole packets come out of
//! [`PacketReader::next_packet`]. "Not enough bytes yet" is a normal answer (`Ok(None)`), not an
//! error. A packet larger than the limit is skipped without being buffered, so a 100 MB retained
//! message cannot exhaust memory nor force a reconnect loop. A packet whose body is malformed is
//! reported and skipped: its length was valid, so the stream stays in step.

use bytes::{Buf, BytesMut};

use crate::codec::{self, Incoming, ProtocolVersion};

/// What went wrong while reading the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The stream cannot be framed any more (bad remaining length): the connection must close.
    Unframeable(String),
    /// One packet had a valid length but a malformed body; it was skipped.
    MalformedPacket(String),
    /// One packet was larger than the limit; it is being skipped.
    Oversized {
        /// The packet's remaining length as announced in its fixed header.
        size: usize,
    },
}

/// Buffer room kept between packets; more, needed by a large packet, is given back after it.
/// (64 KB until the simulation's trickling broker, writing a large message in 210-byte
/// pieces, left the page holding that much: a phone page's state is 9-16 KB.)
const KEPT_CAPACITY: usize = 16 * 1024;

/// A buffer that turns byte chunks into MQTT packets.
#[derive(Debug)]
pub struct PacketReader {
    buffer: BytesMut,
    max_packet_size: usize,
    bytes_to_skip: usize,
    /// The buffer's allocation grew for a large packet (what is left of the buffer may look
    /// small while it still holds that allocation).
    grew: bool,
}

impl PacketReader {
    /// A reader that skips packets whose remaining length exceeds `max_packet_size`.
    pub fn new(max_packet_size: usize) -> Self {
        Self {
            buffer: BytesMut::new(),
            max_packet_size,
            bytes_to_skip: 0,
            grew: false,
        }
    }

    /// Appends bytes from the transport.
    pub fn push(&mut self, mut bytes: &[u8]) {
        if self.bytes_to_skip > 0 {
            let skipped = self.bytes_to_skip.min(bytes.len());
            self.bytes_to_skip -= skipped;
            bytes = &bytes[skipped..];
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next whole packet, `Ok(None)` when more bytes are needed.
    pub fn next_packet(&mut self, version: ProtocolVersion) -> Result<Option<Incoming>, ReadError> {
        if self.bytes_to_skip > 0 {
            return Ok(None);
        }
        let header = match mqttbytes::check(self.buffer.iter(), self.max_packet_size) {
            Ok(header) => header,
            Err(mqttbytes::Error::InsufficientBytes(_)) => return Ok(None),
            Err(mqttbytes::Error::PayloadSizeLimitExceeded(size)) => {
                self.start_skipping(size);
                return Err(ReadError::Oversized { size });
            }
            Err(_) => {
                self.buffer.clear();
                return Err(ReadError::Unframeable(crate::say!(
                    "the broker sent a packet with an invalid length"
                )));
            }
        };
        // The frame is taken out whole, so a malformed body skips just this packet.
        self.grew |= header.frame_length() > KEPT_CAPACITY;
        let mut frame = self.buffer.split_to(header.frame_length());
        self.release_if_large();
        codec::decode(version, &mut frame)
            .map(Some)
            .map_err(ReadError::MalformedPacket)
    }

    /// Bytes held while waiting for the rest of a packet.
    pub fn buffered_len(&self) -> usize {
        self.buffer.len()
    }

    /// How many more bytes the packet being read (or skipped) needs; 0 when none is started or
    /// its length is not known yet.
    pub fn missing(&self) -> usize {
        if self.bytes_to_skip > 0 {
            return self.bytes_to_skip;
        }
        match mqttbytes::check(self.buffer.iter(), usize::MAX) {
            Err(mqttbytes::Error::InsufficientBytes(missing)) if self.buffer.len() >= 2 => missing,
            _ => 0,
        }
    }

    /// Forgets everything (a new connection starts a new stream).
    pub fn clear(&mut self) {
        self.buffer.clear();
        self.bytes_to_skip = 0;
        self.release_if_large();
    }

    /// The room a large packet needed is given back once nothing waits in it: one 1 MB
    /// message must not keep a phone's page 1 MB heavier for the rest of its life.
    fn release_if_large(&mut self) {
        if self.buffer.is_empty() && (self.grew || self.buffer.capacity() > KEPT_CAPACITY) {
            self.buffer = BytesMut::new();
            self.grew = false;
        }
    }

    fn start_skipping(&mut self, remaining_len: usize) {
        let mut header_len = 2;
        while header_len < 5
            && self
                .buffer
                .get(header_len - 1)
                .is_some_and(|b| b & 0x80 != 0)
        {
            header_len += 1;
        }
        let frame_len = header_len + remaining_len;
        let available = self.buffer.len().min(frame_len);
        self.buffer.advance(available);
        self.bytes_to_skip = frame_len - available;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqttbytes::v4::Publish;
    use mqttbytes::QoS;

    fn encoded_publish(topic: &str, payload: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        Publish::new(topic, QoS::AtMostOnce, payload.to_vec())
            .write(&mut out)
            .unwrap();
        out.to_vec()
    }

    const V4: ProtocolVersion = ProtocolVersion::V311;

    fn topic_of(packet: Incoming) -> String {
        match packet {
            Incoming::Publish { topic, .. } => topic,
            other => panic!("expected a publish, got {other:?}"),
        }
    }

    #[test]
    fn a_packet_split_byte_by_byte_comes_out_once_whole() {
        let bytes = encoded_publish("stat/plug/POWER", b"ON");
        let mut reader = PacketReader::new(1024);
        for (i, byte) in bytes.iter().enumerate() {
            reader.push(&[*byte]);
            let packet = reader.next_packet(V4).unwrap();
            if i + 1 < bytes.len() {
                assert!(packet.is_none(), "packet came out after {} bytes", i + 1);
            } else {
                assert_eq!(topic_of(packet.unwrap()), "stat/plug/POWER");
            }
        }
        assert_eq!(reader.buffered_len(), 0);
    }

    #[test]
    fn several_packets_in_one_chunk_all_come_out_in_order() {
        let mut chunk = encoded_publish("a", b"1");
        chunk.extend(encoded_publish("b", b"2"));
        chunk.extend(encoded_publish("c", b"3"));
        let mut reader = PacketReader::new(1024);
        reader.push(&chunk);
        let topics: Vec<_> = std::iter::from_fn(|| reader.next_packet(V4).unwrap())
            .map(topic_of)
            .collect();
        assert_eq!(topics, ["a", "b", "c"]);
    }

    #[test]
    fn an_oversized_packet_is_skipped_and_the_next_one_still_arrives() {
        let big = encoded_publish("big", &vec![7u8; 5_000]);
        let mut reader = PacketReader::new(1_000);
        let (first, rest) = big.split_at(100);
        reader.push(first);
        assert!(matches!(
            reader.next_packet(V4),
            Err(ReadError::Oversized { .. })
        ));
        let mut tail = rest.to_vec();
        tail.extend(encoded_publish("small", b"ok"));
        for chunk in tail.chunks(700) {
            reader.push(chunk);
        }
        assert_eq!(topic_of(reader.next_packet(V4).unwrap().unwrap()), "small");
        assert!(reader.buffered_len() == 0);
    }

    #[test]
    fn a_malformed_body_is_skipped_and_the_stream_stays_in_step() {
        // A CONNACK with an invalid return code (9), then a valid publish.
        let mut chunk = vec![0x20, 0x02, 0x00, 0x09];
        chunk.extend(encoded_publish("after", b"x"));
        let mut reader = PacketReader::new(1024);
        reader.push(&chunk);
        assert!(matches!(
            reader.next_packet(V4),
            Err(ReadError::MalformedPacket(_))
        ));
        assert_eq!(topic_of(reader.next_packet(V4).unwrap().unwrap()), "after");
    }

    #[test]
    fn what_is_missing_of_a_large_packet_is_known_while_it_arrives() {
        let big = encoded_publish("big", &vec![7u8; 50_000]);
        let mut reader = PacketReader::new(100_000);
        assert_eq!(reader.missing(), 0);
        reader.push(&big[..10_000]);
        assert_eq!(reader.next_packet(V4), Ok(None));
        assert_eq!(reader.missing(), big.len() - 10_000);
        reader.push(&big[10_000..]);
        assert!(reader.next_packet(V4).unwrap().is_some());
        assert_eq!(reader.missing(), 0);
        // While skipping one over the limit, what is left to skip.
        let mut small = PacketReader::new(1_000);
        small.push(&big[..4_000]);
        assert!(small.next_packet(V4).is_err());
        assert_eq!(small.missing(), big.len() - 4_000);
    }

    #[test]
    fn an_invalid_remaining_length_cannot_be_framed() {
        let mut reader = PacketReader::new(1024);
        reader.push(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]);
        assert!(matches!(
            reader.next_packet(V4),
            Err(ReadError::Unframeable(_))
        ));
    }

    #[test]
    fn the_room_a_large_packet_needed_is_given_back_after_it() {
        // A 300 KB message merged with a small one in one WebSocket message: once both are
        // read, the buffer holds nothing of the large allocation.
        let mut reader = PacketReader::new(1 << 20);
        let mut chunk = encoded_publish("big", &vec![b'x'; 300_000]);
        chunk.extend(encoded_publish("small", b"1"));
        reader.push(&chunk);
        assert_eq!(topic_of(reader.next_packet(V4).unwrap().unwrap()), "big");
        assert_eq!(topic_of(reader.next_packet(V4).unwrap().unwrap()), "small");
        assert_eq!(reader.buffer.capacity(), 0);
        // Small packets keep their room: no allocation per message.
        reader.push(&encoded_publish("a", b"1"));
        reader.push(&encoded_publish("b", b"1"));
        reader.next_packet(V4).unwrap();
        assert!(reader.buffer.capacity() > 0);
    }
}
