using DevShell.Core.Events;
using DevShell.Core.Sessions;

namespace DevShell.Core.Storage;

public sealed partial class DevShellStore
{
    /// <summary>Records a new session; fills StartedAt if left default.</summary>
    /// <exception cref="ArgumentException">The id is not 8 lowercase hex digits.</exception>
    /// <exception cref="StoreException">A session with that id exists.</exception>
    public void AddSession(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!SessionRecord.IsValidId(session.Id))
        {
            throw new ArgumentException($"session id \"{session.Id}\" is not 8 lowercase hex digits", nameof(session));
        }

        if (session.StartedAt == default)
        {
            session.StartedAt = Now();
        }

        InTransaction(() =>
        {
            var sessions = _db.GetCollection<SessionRecord>(SessionsCollection);
            if (sessions.FindById(session.Id) is not null)
            {
                throw new StoreException($"session {session.Id} already exists (generate a new id)");
            }

            sessions.Insert(session);
            return 0;
        });
    }

    /// <summary>Writes a changed session; returns false if it does not exist.</summary>
    public bool UpdateSession(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Locked(() => _db.GetCollection<SessionRecord>(SessionsCollection).Update(session));
    }

    /// <summary>The session, or null.</summary>
    public SessionRecord? GetSession(string id)
    {
        return Locked(() => Normalize(_db.GetCollection<SessionRecord>(SessionsCollection).FindById(id)));
    }

    /// <summary>Every session, oldest first.</summary>
    public IReadOnlyList<SessionRecord> ListSessions()
    {
        return Locked(() => _db.GetCollection<SessionRecord>(SessionsCollection).FindAll().Select(s => Normalize(s)!).OrderBy(s => s.StartedAt).ToList());
    }

    /// <summary>Sessions that are starting or running, oldest first. Uses the State index: the history of ended
    /// sessions can be long, and this runs on every launch and every TUI refresh.</summary>
    public IReadOnlyList<SessionRecord> ListActiveSessions()
    {
        return Locked(() => _db.GetCollection<SessionRecord>(SessionsCollection)
            .Find(s => s.State == SessionState.Starting || s.State == SessionState.Running)
            .Select(s => Normalize(s)!).OrderBy(s => s.StartedAt).ToList());
    }

    /// <summary>Deletes the oldest ended sessions beyond <paramref name="keep"/>; returns how many were removed.</summary>
    public int PruneEndedSessions(int keep)
    {
        return Locked(() =>
        {
            var sessions = _db.GetCollection<SessionRecord>(SessionsCollection);
            var ended = sessions.Find(s => s.State != SessionState.Starting && s.State != SessionState.Running)
                .OrderByDescending(s => s.StartedAt).Skip(keep).Select(s => s.Id).ToList();
            foreach (var id in ended) sessions.Delete(id);
            return ended.Count;
        });
    }

    /// <summary>Removes a session record; returns false if it did not exist.</summary>
    public bool DeleteSession(string id)
    {
        return Locked(() => _db.GetCollection<SessionRecord>(SessionsCollection).Delete(id));
    }

    /// <summary>Appends an event and returns its id (ids increase in commit order across processes). Fills Time if default.</summary>
    public long AppendEvent(EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Time == default)
        {
            record.Time = Now();
        }

        record.Id = 0;
        return Locked(() => _db.GetCollection<EventRecord>(EventsCollection).Insert(record).AsInt64);
    }

    /// <summary>
    /// Events in id order, oldest first: those with id greater than <paramref name="sinceId"/>, optionally of one session,
    /// at most <paramref name="limit"/>. `events --follow` calls this with the last id it printed.
    /// </summary>
    public IReadOnlyList<EventRecord> QueryEvents(string? sessionId = null, long sinceId = 0, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Locked(() =>
        {
            var query = _db.GetCollection<EventRecord>(EventsCollection).Query().Where(e => e.Id > sinceId);
            if (sessionId is not null)
            {
                query = query.Where(e => e.SessionId == sessionId);
            }

            return query.OrderBy(e => e.Id).Limit(limit).ToList().Select(Normalize).ToList();
        });
    }

    /// <summary>The newest events, newest first (for a TUI panel).</summary>
    public IReadOnlyList<EventRecord> RecentEvents(int limit = 50, string? sessionId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Locked(() =>
        {
            var query = _db.GetCollection<EventRecord>(EventsCollection).Query();
            if (sessionId is not null)
            {
                query = query.Where(e => e.SessionId == sessionId);
            }

            return query.OrderByDescending(e => e.Id).Limit(limit).ToList().Select(Normalize).ToList();
        });
    }

    private static SessionRecord? Normalize(SessionRecord? session)
    {
        if (session is not null)
        {
            session.StartedAt = Utc(session.StartedAt);
            session.EndedAt = session.EndedAt is { } ended ? Utc(ended) : null;
        }

        return session;
    }

    private static EventRecord Normalize(EventRecord record)
    {
        record.Time = Utc(record.Time);
        return record;
    }
}
