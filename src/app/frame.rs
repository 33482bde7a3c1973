//! The frame loop and what follows every update: how the page keeps the engines running ahead,
//! the clock moving and the renders few. An `impl App` block of its own.

use super::*;

impl App {
    /// One animation frame: run the engines a little further, move the clock, and decide what
    /// (if anything) renders: one pane's views per turn, its lanes the frame after.
    pub(super) fn on_frame(&mut self, ts: f64) -> bool {
        self.frame_requested = false;
        let exported = self.pending_export_frame();
        let s = &mut self.session;
        let dt = self.last_frame.map(|l| (ts - l).clamp(0.0, 100.0)).unwrap_or(0.0);
        self.last_frame = Some(ts);
        let paced_before = s.pace().is_some();
        // Chunks until the budget is spent, a report is made (one a frame) or nothing is left.
        let started = host::page_ms();
        let mut finished_now = false;
        let mut first = true;
        while s.work_left() {
            // A report takes a frame of its own.
            if !std::mem::take(&mut first) && s.report_due() {
                break;
            }
            let had_pace = s.pace().is_some();
            let reporting = s.report_due();
            let chunk_started = host::page_ms();
            finished_now = s.compute(self.chunk_steps);
            let now = host::page_ms();
            // A call that made a report took as long as the report: it says nothing of the
            // engine's speed.
            if !reporting && !finished_now {
                self.chunk_steps = crate::budget::next_chunk(self.chunk_steps, now - chunk_started);
            }
            if finished_now || (!had_pace && s.pace().is_some()) || now - started >= COMPUTE_MS_PER_FRAME {
                break;
            }
        }
        // A frame that made a report or the pace makes nothing else heavy (the charts wait).
        let heavy = finished_now || (!paced_before && s.pace().is_some());
        s.tick(dt);
        // Node and log views follow a few times a second, one pane per frame; messages
        // move every frame, painted outside the render (below, or after the render).
        let panes = s.panes.len().max(1);
        let mut render = false;
        if let Some(j) = self.lanes_due.take() {
            // The lanes of the pane whose turn was last frame catch up (through their
            // feed, below: only they render).
            if let Some(h) = self.held.get_mut(j) {
                *h = None;
            }
        } else if ts - self.last_view_refresh >= VIEW_REFRESH_MS / panes as f64 {
            self.last_view_refresh = ts;
            self.next_refresh = (self.next_refresh + 1) % panes;
            let i = self.next_refresh;
            // These tabs mark what is past, so they follow the time at the same pace.
            let follows_time = self.ui.get(i).is_some_and(|u| matches!(u.tab, Tab::Explain | Tab::Anomalies));
            let before = s.panes.get(i).map(|p| p.view.clone());
            if s.refresh_view(i) || follows_time {
                if let Some(g) = self.pane_gen.get_mut(i) {
                    *g += 1;
                }
                if s.playing && self.ui.get(i).is_some_and(|u| u.tab == Tab::Logs) {
                    if let Some(h) = self.held.get_mut(i) {
                        *h = before;
                        self.lanes_due = Some(i);
                    }
                }
                render = true;
            }
        }
        if finished_now {
            render |= self.sync();
        } else if !heavy && self.charts_frame() {
            render = true;
        }
        // The panes are mounted one a frame after the first render (see `panes_mounted`).
        if self.panes_mounted < self.session.panes.len() {
            self.panes_mounted += 1;
            if self.panes_mounted >= self.session.panes.len() {
                self.panes_mounted = usize::MAX;
            }
            render = true;
        }
        render || exported || finished_now || self.shown != self.shown_now()
    }

    /// After any message: the bookkeeping every update shares. Pane boundaries are touched when
    /// something besides a frame happened, paused views catch up, the link is rewritten when an
    /// input changed, the host hears about it, the lanes get their feed, and the next frame is
    /// requested while anything moves.
    pub(super) fn settle(&mut self, was_playing: bool, is_frame: bool, rerender: bool) -> bool {
        if was_playing != self.session.playing {
            self.hash_dirty = true;
        }
        let mut rerender = rerender;
        if !is_frame || !self.session.playing {
            // Only playback spreads a pane's turn over two frames.
            self.lanes_due = None;
            for h in &mut self.held {
                *h = None;
            }
        }
        if !is_frame || was_playing != self.session.playing {
            // Anything but a frame may change any pane (selection, highlight, settings, time), and
            // the lanes are drawn differently while playing.
            self.touch_panes();
        }
        if !self.session.playing {
            if self.session.refresh_views() {
                self.touch_panes();
                rerender = true;
            }
            rerender |= self.sync();
            if self.hash_dirty && host::page_ms() >= self.hash_write_after {
                self.hash_dirty = false;
                host::write_hash(&self.session.link());
            }
        } else if self.ui.iter().any(|u| u.tab == Tab::SpaceTime) {
            // Keep the space-time windows moving while playing.
            rerender |= self.sync();
        }
        // Views change only where something renders: a frame that renders nothing skips this.
        if rerender || !is_frame {
            self.refresh_selected_node();
        }
        self.post_events();
        let rate = self.shown_rate.follow(self.session.rate(), self.session.playing, host::page_ms());
        self.clock.set(self.session.time, self.session.computed_until() as f64, rate);
        for ((p, held), feed) in self.session.panes.iter().zip(&self.held).zip(&self.lane_feeds) {
            let shown = held.as_ref().unwrap_or(&p.view);
            if !Rc::ptr_eq(&feed.get(), shown) {
                feed.set(shown.clone());
            }
        }
        if rerender {
            self.shown = self.shown_now();
        } else if is_frame {
            // The render paints after it; a frame that renders nothing paints here.
            self.paint();
        }
        if self.busy() {
            self.request_frame();
        } else {
            self.last_frame = None;
        }
        rerender
    }

    /// A selected node is shown as it is now, not as it was when clicked: crashed from its own
    /// menu, it says "down" at once; moved in time, it shows that moment's log and data.
    fn refresh_selected_node(&mut self) {
        let Some(Selection::Node { pane, info }) = &self.selection else { return };
        let Some(i) = self.session.pane_index(*pane) else { return };
        let id = info.view.id;
        let Some(now) = self.session.panes[i].view.nodes.iter().find(|n| n.view.id == id) else { return };
        if **info != *now {
            self.selection = Some(Selection::Node { pane: *pane, info: Box::new(now.clone()) });
        }
    }
}
