//! How the devices are laid out: one compact row per switch (phones) or roomy cards (wall
//! tablets, desktops). `Auto` picks rows on a narrow screen and cards on a wide one; a profile
//! remembers the choice and a link can set it (`view=compact|cards|auto`, e.g. for an iframe).

/// The layout of the device list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    /// Rows on a narrow screen, cards on a wide one.
    #[default]
    Auto,
    /// One row per switch; readings, schedules and the rest behind each row's details.
    Compact,
    /// One card per device with everything shown.
    Cards,
}

/// Below this width (CSS pixels) `Auto` means rows.
pub const NARROW_MAX_WIDTH: u32 = 719;

impl Layout {
    /// Reads `compact`, `cards` or `auto` (as in a link or a settings file).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "compact" | "rows" => Ok(Self::Compact),
            "cards" => Ok(Self::Cards),
            other => Err(crate::say!(
                "view \"{}\" is not known: use view=compact (one row per switch), view=cards or view=auto.",
                other
            )),
        }
    }

    /// The name [`Layout::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Compact => "compact",
            Self::Cards => "cards",
        }
    }

    /// True when the list is shown as rows on a screen that is (or is not) `narrow`.
    pub fn is_compact(self, narrow: bool) -> bool {
        match self {
            Self::Auto => narrow,
            Self::Compact => true,
            Self::Cards => false,
        }
    }

    /// The layout the page uses: the link's choice if it made one, else the profile's.
    pub fn effective(link: Option<Self>, profile: Self) -> Self {
        link.unwrap_or(profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_reads_back_from_its_name_and_bad_names_say_what_to_write() {
        for layout in [Layout::Auto, Layout::Compact, Layout::Cards] {
            assert_eq!(Layout::parse(layout.name()), Ok(layout));
        }
        assert_eq!(Layout::parse(" Cards "), Ok(Layout::Cards));
        let problem = Layout::parse("grid").unwrap_err();
        assert!(problem.contains("view=compact"), "{problem}");
    }

    #[test]
    fn auto_is_rows_only_on_a_narrow_screen_and_a_choice_holds_on_any_screen() {
        assert!(Layout::Auto.is_compact(true));
        assert!(!Layout::Auto.is_compact(false));
        assert!(Layout::Compact.is_compact(false));
        assert!(!Layout::Cards.is_compact(true));
    }

    #[test]
    fn a_link_choice_wins_over_the_profile() {
        assert_eq!(
            Layout::effective(Some(Layout::Cards), Layout::Compact),
            Layout::Cards
        );
        assert_eq!(Layout::effective(None, Layout::Compact), Layout::Compact);
    }
}
