/*
name: deal_calls
description: The calls of one opportunity up to a day, most recent first, with participants and the full transcript (the deal analysis agent's evidence).
params:
  opportunity_id: {type: str, required: true, example: OPP-0000001}
  as_of: {type: date, required: true, example: 2026-11-24, description: Calls started on or before this day}
  limit: {type: int, default: 50}
examples:
  - What was said on the IXIS deal calls?
  - Show the transcripts of the calls on OPP-0000123
*/
SELECT
    c.call_id,
    c.started_at,
    c.duration_minutes,
    c.title,
    c.owner_id,
    c.participants,
    c.brief,
    c.key_points,
    c.next_steps,
    c.transcript
FROM {{ table('calls') }} c
WHERE c.opportunity_id = {{ p('opportunity_id') }}
  AND CAST(c.started_at AS DATE) <= {{ p('as_of') }}
ORDER BY c.started_at DESC NULLS LAST, c.call_id NULLS LAST
LIMIT {{ limit }}
