//! A stand-in for a connection that comes and goes (a radio link, a modem, a broker): it follows
//! a script of sessions, each refusing a number of connects, then carrying a number of messages,
//! then dropping.

/// Why the link failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, defmt::Format)]
pub enum LinkError {
    /// The far end did not accept the connection; a later connect may succeed.
    Refused,
    /// The connection was lost.
    Dropped,
}

/// One session of a [`FlakyLink`]'s script.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// Connects refused before this session comes up.
    pub refusals: u32,
    /// Messages carried once it is up, before it drops.
    pub messages: u32,
}

/// A link that plays a script of sessions, then refuses every connect.
pub struct FlakyLink {
    script: &'static [Session],
    /// The session being played: the next to come up, or the one that is up.
    session: usize,
    refused: u32,
    carried: u32,
    up: bool,
}

impl FlakyLink {
    /// A link that plays `script`, down at first.
    pub const fn new(script: &'static [Session]) -> Self {
        FlakyLink {
            script,
            session: 0,
            refused: 0,
            carried: 0,
            up: false,
        }
    }

    /// How many sessions the script holds.
    pub fn sessions(&self) -> usize {
        self.script.len()
    }

    /// Tries to bring the link up.
    pub fn connect(&mut self) -> Result<(), LinkError> {
        let Some(session) = self.script.get(self.session) else {
            return Err(LinkError::Refused);
        };
        if self.up {
            return Ok(());
        }
        if self.refused < session.refusals {
            self.refused += 1;
            return Err(LinkError::Refused);
        }
        self.up = true;
        self.carried = 0;
        Ok(())
    }

    /// Waits for the next message on a link that is up, returning its number in the session
    /// (from 1); once the session's messages are carried the link drops, and stays down until
    /// the next [`connect`](Self::connect) succeeds.
    pub fn receive(&mut self) -> Result<u32, LinkError> {
        let Some(session) = self.script.get(self.session) else {
            return Err(LinkError::Dropped);
        };
        if !self.up {
            return Err(LinkError::Dropped);
        }
        if self.carried < session.messages {
            self.carried += 1;
            return Ok(self.carried);
        }
        self.up = false;
        self.session += 1;
        self.refused = 0;
        Err(LinkError::Dropped)
    }
}
