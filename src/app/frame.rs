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
        // Node and log views follow at the view ticks, every pane in the same frame, the
        // playback bar with them (in `settle`); messages move every frame, painted outside the
        // render (below, or after the render). A frame that changes the page costs the browser
        // a style, layout, paint and commit however little changed: ten such frames a second
        // instead of one every frame (three panes' turns, their logs and the clock, each in a
        // frame of its own) took a third to a half off the main thread's busy share while playing.
        let mut render = false;
        if ts - self.last_view_tick >= VIEW_REFRESH_MS - VIEW_TICK_SLACK_MS {
            self.last_view_tick = ts;
            self.view_tick = true;
            for i in 0..s.panes.len() {
                // These tabs mark what is past, so they follow the time at the same pace.
                let follows_time = self.ui.get(i).is_some_and(|u| matches!(u.tab, Tab::Explain | Tab::Anomalies));
                if s.refresh_view(i) || follows_time {
                    if let Some(g) = self.pane_gen.get_mut(i) {
                        *g += 1;
                    }
                    render = true;
                }
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
        // Captions and notes change with the time: playing, at the view ticks.
        let tick = self.view_tick || !self.session.playing;
        render || exported || finished_now || (tick && self.shown != self.shown_now())
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
        // The bar moves with anything but a frame, paused, and at the view ticks.
        let bar_moves = std::mem::take(&mut self.view_tick) || !is_frame || !self.session.playing;
        let bar = bar_moves.then(|| Bar {
            time: self.session.time,
            computed: self.session.computed_until() as f64,
            rate: self.shown_rate.follow(self.session.rate(), self.session.playing, host::page_ms()),
        });
        self.clock.set(self.session.time, bar);
        for (p, feed) in self.session.panes.iter().zip(&self.lane_feeds) {
            if !Rc::ptr_eq(&feed.get(), &p.view) {
                feed.set(p.view.clone());
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
