"""Charts as PNG files readable on a phone: daily volume by domain, rates over time, warmup progress, pool state.

`data` shapes DailyStat rows into series (pure), `render` draws them with matplotlib's Agg backend in a thread
(matplotlib is imported lazily there: it is slow to import and drawing is CPU-bound), `service` loads the data of
the actor's own workspace over a bounded period.
"""
