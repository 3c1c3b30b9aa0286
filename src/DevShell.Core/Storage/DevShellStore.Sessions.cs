using DevShell.Core.Events;
using DevShell.Core.Sessions;
using LiteDB;

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
            var sessions = Db.GetCollection(SessionsCollection);
            if (sessions.FindById(session.Id) is not null)
            {
                throw new StoreException($"session {session.Id} already exists (generate a new id)");
            }

            sessions.Insert(RecordDocuments.ToDocument(session));
            return 0;
        });
    }

    /// <summary>Writes a changed session; returns false if it does not exist.</summary>
    public bool UpdateSession(SessionRecord session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return Locked(() => Db.GetCollection(SessionsCollection).Update(RecordDocuments.ToDocument(session)));
    }

    /// <summary>
    /// Changes a session and, in the same transaction, appends <paramref name="record"/> and releases the session's
    /// IP lease. In shared mode every separate call opens and closes the file (and checkpoints after a write); a
    /// launch changes its session twice, so this keeps it to one open each time. Returns false if there is no such session.
    /// </summary>
    public bool UpdateSession(string id, Action<SessionRecord> change, EventRecord? record = null, bool releaseIp = false) =>
        UpdateSession(id, change, record is null ? [] : [record], releaseIp);

    /// <summary>
    /// <see cref="UpdateSession(string, Action{SessionRecord}, EventRecord?, bool)"/> with several events, appended in
    /// order in the same transaction.
    /// </summary>
    public bool UpdateSession(string id, Action<SessionRecord> change, IReadOnlyList<EventRecord> records, bool releaseIp = false)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(records);
        return InTransaction(() =>
        {
            var sessions = Db.GetCollection(SessionsCollection);
            if (sessions.FindById(id) is not { } stored)
            {
                return false;
            }

            var session = RecordDocuments.ToSession(stored);
            change(session);
            sessions.Update(RecordDocuments.ToDocument(session));
            InsertEvents(records);
            if (releaseIp) DropLease(id);
            return true;
        });
    }

    /// <summary>The session, or null.</summary>
    public SessionRecord? GetSession(string id)
    {
        return Locked(() => Db.GetCollection(SessionsCollection).FindById(id) is { } d ? RecordDocuments.ToSession(d) : null);
    }

    /// <summary>Every session, oldest first.</summary>
    public IReadOnlyList<SessionRecord> ListSessions()
    {
        return Locked(() => Db.GetCollection(SessionsCollection).FindAll().Select(RecordDocuments.ToSession).OrderBy(s => s.StartedAt).ToList());
    }

    /// <summary>
    /// How many sessions are starting or running, counted on the State index alone (no session document is read:
    /// LiteDB answers a query that selects only its index key from the index pages).
    /// </summary>
    public int CountActiveSessions()
    {
        return Locked(() =>
        {
            ApplyOutbox(); // posted since this unit began (a batch): counted like everything else
            return Db.GetCollection(SessionsCollection).Query()
            .Where(Query.In(RecordDocuments.SessionStateField, nameof(SessionState.Starting), nameof(SessionState.Running)))
            .Select(BsonExpression.Create("$." + RecordDocuments.SessionStateField))
            .ToEnumerable()
            .Count();
        });
    }

    /// <summary>Sessions that are starting or running, oldest first. Uses the State index: the history of ended
    /// sessions can be long, and this runs on every launch and every TUI refresh.</summary>
    public IReadOnlyList<SessionRecord> ListActiveSessions()
    {
        return Locked(() =>
        {
            ApplyOutbox(); // posted since this unit began (a batch): gc must see every session whose objects it found
            return Db.GetCollection(SessionsCollection)
                .Find(Query.In(RecordDocuments.SessionStateField, nameof(SessionState.Starting), nameof(SessionState.Running)))
                .Select(RecordDocuments.ToSession).OrderBy(s => s.StartedAt).ToList();
        });
    }

    /// <summary>Deletes the oldest ended sessions beyond <paramref name="keep"/>; returns how many were removed.</summary>
    public int PruneEndedSessions(int keep)
    {
        return Locked(() =>
        {
            var sessions = Db.GetCollection(SessionsCollection);
            var ended = sessions.Find(Query.In(RecordDocuments.SessionStateField, nameof(SessionState.Exited), nameof(SessionState.Failed), nameof(SessionState.Stopped)))
                .Select(RecordDocuments.ToSession).OrderByDescending(s => s.StartedAt).Skip(keep).Select(s => s.Id).ToList();
            foreach (var id in ended) sessions.Delete(id);
            return ended.Count;
        });
    }

    /// <summary>Removes a session record; returns false if it did not exist.</summary>
    public bool DeleteSession(string id)
    {
        return Locked(() => Db.GetCollection(SessionsCollection).Delete(id));
    }

    /// <summary>Appends an event and returns its id (ids increase in commit order across processes). Fills Time if default.</summary>
    public long AppendEvent(EventRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Locked(() =>
        {
            InsertEvents([record]);
            return record.Id;
        });
    }

    /// <summary>Appends events in order (the store's auto-id numbers them); fills a default Time with now.</summary>
    private void InsertEvents(IEnumerable<EventRecord> records)
    {
        var events = Db.GetCollection(EventsCollection, BsonAutoId.Int64);
        foreach (var record in records)
        {
            if (record.Time == default) record.Time = Now();
            record.Id = 0;
            record.Id = events.Insert(RecordDocuments.ToDocument(record)).AsInt64;
        }
    }

    /// <summary>Frees the session's IP lease, if it has one.</summary>
    private int DropLease(string sessionId) => Db.GetCollection(LeasesCollection).DeleteMany(Query.EQ("session", sessionId));


    /// <summary>
    /// Events in id order, oldest first: those with id greater than <paramref name="sinceId"/>, optionally of one session,
    /// at most <paramref name="limit"/>. `events --follow` calls this with the last id it printed.
    /// </summary>
    public IReadOnlyList<EventRecord> QueryEvents(string? sessionId = null, long sinceId = 0, int limit = 100)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Locked(() =>
        {
            var query = Db.GetCollection(EventsCollection).Query().Where(Query.GT("_id", sinceId));
            if (sessionId is not null)
            {
                query = query.Where(Query.EQ(RecordDocuments.EventSessionField, sessionId));
            }

            return query.OrderBy("_id").Limit(limit).ToList().Select(RecordDocuments.ToEvent).ToList();
        });
    }

    /// <summary>The newest events, newest first (for a TUI panel).</summary>
    public IReadOnlyList<EventRecord> RecentEvents(int limit = 50, string? sessionId = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return Locked(() =>
        {
            var query = Db.GetCollection(EventsCollection).Query();
            if (sessionId is not null)
            {
                query = query.Where(Query.EQ(RecordDocuments.EventSessionField, sessionId));
            }

            return query.OrderByDescending("_id").Limit(limit).ToList().Select(RecordDocuments.ToEvent).ToList();
        });
    }
}
