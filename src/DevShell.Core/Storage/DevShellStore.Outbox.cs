using DevShell.Core.Events;
using DevShell.Core.Sessions;
using LiteDB;

namespace DevShell.Core.Storage;

public sealed partial class DevShellStore
{
    /// <summary>Where launches post the session writes that can wait (see <see cref="StoreOutbox"/>).</summary>
    public StoreOutbox Outbox { get; }

    /// <summary>Changes applied from the outbox so far by this instance; for tests and tracing.</summary>
    public int OutboxApplied { get; private set; }

    /// <summary>
    /// Applies a session change now, in one transaction (the same meaning as posting it to the <see cref="Outbox"/>).
    /// Returns false when the session does not exist and the change does not add it.
    /// </summary>
    public bool Apply(SessionChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Add is { } add)
        {
            if (!SessionRecord.IsValidId(add.Id)) throw new ArgumentException($"session id \"{add.Id}\" is not 8 lowercase hex digits", nameof(change));
            if (add.StartedAt == default) add.StartedAt = Now();
        }

        return InTransaction(() => ApplyInTransaction(change));
    }

    /// <summary>Applies what waits in the outbox now (any unit of work does it first; this is a unit for only that).</summary>
    public void ApplyOutboxNow() => Locked(ApplyOutbox);

    private bool ApplyInTransaction(SessionChange change)
    {
        var sessions = Db.GetCollection(SessionsCollection);
        SessionRecord session;
        bool added = false;
        if (sessions.FindById(change.SessionId) is { } stored)
        {
            session = RecordDocuments.ToSession(stored);
            // A queued change (Seq > 0) applied before a crash kept its file.
            if (change.Seq > 0 && change.Seq <= session.OutboxSeq) return true;
        }
        else if (change.Add is { } add)
        {
            session = add;
            added = true;
        }
        else
        {
            return false; // pruned or deleted meanwhile: nothing to change
        }

        change.ApplyTo(session);
        if (change.Seq > session.OutboxSeq) session.OutboxSeq = change.Seq;
        var document = RecordDocuments.ToDocument(session);
        if (added) sessions.Insert(document);
        else sessions.Update(document);
        InsertEvents(change.Events);
        if (change.ReleaseIp) DropLease(change.SessionId);
        return true;
    }

    /// <summary>
    /// Applies every posted change, in order, in one transaction (the batch's, in a one-transaction batch), then removes
    /// their files once it has committed. Runs first in every unit of work (an empty outbox costs one directory read). A
    /// file that does not hold a change is set aside as *.bad and reported as an event; it stops nothing else.
    /// </summary>
    private void ApplyOutbox()
    {
        var files = Outbox.Pending();
        if (_outboxAppliedInBatch.Count > 0) files.RemoveAll(_outboxAppliedInBatch.Contains);
        if (files.Count == 0) return;
        var damaged = new List<(string File, string Why)>();
        var applied = InTransaction(() =>
        {
            var done = new List<string>();
            foreach (var file in files)
            {
                SessionChange change;
                try
                {
                    change = StoreOutbox.Read(file);
                }
                catch (Exception e) when (e is FileNotFoundException or UnauthorizedAccessException)
                {
                    continue; // another unit (of a store instance in this process) applied it, or not ours to read
                }
                catch (FormatException e)
                {
                    damaged.Add((file, e.Message));
                    continue;
                }

                ApplyInTransaction(change);
                done.Add(file);
            }

            InsertEvents(damaged.Select(d => new EventRecord
            {
                Kind = EventKinds.Gc,
                Message = $"a damaged session change in the store's outbox was set aside as {Path.GetFileName(d.File)}.bad: {d.Why}",
            }));
            return done;
        });

        foreach (var (file, _) in damaged) TryRemove(() => File.Move(file, file + ".bad", overwrite: true));
        OutboxApplied += applied.Count;
        if (_batchTransaction) _outboxAppliedInBatch.AddRange(applied); // removed when the batch commits
        else RemoveApplied(applied);
    }

    /// <summary>
    /// After the commit that applied them: a crash before these deletes, or a delete that fails, applies a change again
    /// later, which its Seq makes a no-op.
    /// </summary>
    private static void RemoveApplied(List<string> applied)
    {
        foreach (var file in applied) TryRemove(() => File.Delete(file));
    }

    private static void TryRemove(Action remove)
    {
        try
        {
            remove();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
