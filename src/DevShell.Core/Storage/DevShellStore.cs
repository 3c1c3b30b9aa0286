using DevShell.Core.Events;
using DevShell.Core.Sessions;
using DevShell.Core.Validation;
using LiteDB;

namespace DevShell.Core.Storage;

/// <summary>
/// DevShell's database: profiles, sessions, events, IP leases and meta values in one LiteDB file that several
/// devshell processes (the TUI, CLI verbs, launchers) use at once.
/// <para>
/// Every call runs as a unit of work: it takes the cross-process <see cref="StoreFileLock"/>, opens the file with
/// LiteDB in direct mode, does its reads and writes, closes the file (LiteDB checkpoints its log into the data file
/// on close) and only then lets go of the lock. No process keeps the file open between units, so each unit reads
/// the file afresh and no two units of any processes overlap: that is what LiteDB's shared mode does per call under
/// its named mutex, minus that mutex (process-local under NativeAOT, see <see cref="StoreFileLock"/>) and its
/// SHA-1 of the file name, whose first use loads OpenSSL (libssl, libcrypto and openssl.cnf: several ms per process).
/// A <see cref="Batch"/> keeps one unit open across several calls (one lock, one open, one checkpoint).
/// Direct mode is never used outside a unit: it caches pages and its log index between calls and would lose
/// writes across processes.
/// </para>
/// Every read-compare-write runs inside one LiteDB transaction as well, so a failure in the middle leaves nothing.
/// Only validated profiles are ever written. Instances are safe to share between threads (calls are serialized).
/// </summary>
public sealed partial class DevShellStore : IProfileStore, IDisposable
{
    private const string ProfilesCollection = "profiles";
    private const string SessionsCollection = "sessions";
    private const string EventsCollection = "events";
    private const string LeasesCollection = "leases";
    private const string MetaCollection = "meta";

    /// <summary>Meta key of the database's random identity (see <see cref="ProfileSnapshots"/>).</summary>
    private const string IdentityKey = "identity";

    /// <summary>Records are mapped by hand (<see cref="RecordDocuments"/>); the mapper only converts plain values. One for all units.</summary>
    private static readonly BsonMapper Mapper = CreateMapper();

    private readonly Lock _gate = new();
    private readonly StoreOptions _options;
    private readonly ValidationContext _validation;
    private readonly StoreFileLock _fileLock;

    // The open file of the current unit of work (null between units) and how many calls or batches share it.
    private LiteDatabase? _db;
    private int _unitDepth;

    // A one-transaction batch (see Batch): its transaction is open, a call in it failed, the outbox files it applied.
    private bool _batchTransaction;
    private bool _batchFailed;
    private List<string> _outboxAppliedInBatch = [];

    private DevShellStore(string dbPath, StoreOptions options)
    {
        DbPath = dbPath;
        _fileLock = new StoreFileLock(LockPathFor(dbPath), options.LockTimeout);
        _options = options;
        _validation = options.Validation with { DbPath = dbPath };
        Outbox = new StoreOutbox(dbPath);
        Snapshots = new ProfileSnapshots(dbPath);
    }

    /// <summary>Absolute path of the database file.</summary>
    public string DbPath { get; }

    /// <summary>Path of the backup copy: the DB path plus ".bak".</summary>
    public string BackupPath => BackupPathFor(DbPath);

    /// <summary>The validation context used for every profile written.</summary>
    public ValidationContext ValidationContext => _validation;

    /// <summary>Path of the cross-process lock file: the DB path plus ".lock" (see <see cref="StoreFileLock"/>).</summary>
    public string LockPath => LockPathFor(DbPath);

    /// <summary>Units of work opened so far by this instance (each one lock, one open and one close of the file); for tests and tracing.</summary>
    public int UnitsOpened { get; private set; }

    /// <summary>Lock file path for a DB path.</summary>
    public static string LockPathFor(string dbPath) => dbPath + ".lock";

    /// <summary>Backup path for a DB path.</summary>
    public static string BackupPathFor(string dbPath) => dbPath + ".bak";

    /// <summary>The open file of the current unit of work.</summary>
    private LiteDatabase Db => _db ?? throw new InvalidOperationException("the store is used outside a unit of work");

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="dbPath"/> and checks that it is readable. A directory it
    /// creates gets mode 0700 and the file gets 0600. After a successful open a stale or missing backup is refreshed
    /// (see <see cref="StoreOptions.BackupInterval"/>).
    /// </summary>
    /// <exception cref="StoreCorruptedException">The file is not a readable LiteDB database.</exception>
    /// <exception cref="StoreException">The file or directory cannot be accessed.</exception>
    public static DevShellStore Open(string dbPath, StoreOptions? options = null)
    {
        var store = Open(dbPath, options, out var batch);
        batch.Dispose();
        return store;
    }

    /// <summary>
    /// <see cref="Open(string, StoreOptions?)"/>, keeping the unit of work that checked the file open as
    /// <paramref name="batch"/>: the caller's next calls on this thread share its lock and its open of the file (a launch
    /// reads its profile, checks the sessions and records its own in it). Dispose the batch, on this thread, to close it.
    /// A due backup is made first, in units of its own.
    /// </summary>
    /// <inheritdoc cref="Open(string, StoreOptions?)"/>
    /// <param name="applyOutbox">false: the batch leaves the outbox to later units (see <see cref="Batch"/>).</param>
    /// <param name="quickCheck">
    /// true: an existing file's check reads its header, collection list and identity only; the indexes are ensured and
    /// the profile and lease documents read by the other opens (every command but a launch). A launch's unit touches
    /// the sessions and leases itself, and a damaged page there fails it with the same error. A new file gets the whole
    /// check (it makes the indexes).
    /// </param>
    public static DevShellStore Open(string dbPath, StoreOptions? options, out StoreBatch batch, bool applyOutbox = true, bool quickCheck = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(dbPath);
        options ??= new StoreOptions();
        dbPath = Path.GetFullPath(dbPath);
        var directory = Path.GetDirectoryName(dbPath)!;
        var store = new DevShellStore(dbPath, options);
        StoreBatch? opened = null;
        try
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            bool exists = File.Exists(dbPath);
            if (!exists)
            {
                // A new database (or one moved away): copies of another database's profiles must not stand for its own.
                store.Snapshots.Clear();
            }

            Directory.CreateDirectory(store.Outbox.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            Directory.CreateDirectory(store.Snapshots.Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            if (options.AutoBackup && store.BackupDue())
            {
                store.Locked(() => store.Initialize(full: true));
                SetPrivateMode(dbPath);
                store.Backup(force: false);
                opened = store.Batch(oneTransaction: true, applyOutbox);
            }
            else
            {
                opened = store.Batch(oneTransaction: true, applyOutbox);
                store.Locked(() => store.Initialize(full: !quickCheck || !exists));
                SetPrivateMode(dbPath);
            }

            batch = opened;
            return store;
        }
        catch (Exception e)
        {
            opened?.Dispose();
            store.Dispose();
            if (e is UnauthorizedAccessException or IOException && e is not FileNotFoundException)
            {
                throw new StoreException($"cannot open the DevShell database {dbPath}: {e.Message} (check the owner and permissions of {directory})", e);
            }

            if (IsCorruption(e))
            {
                throw new StoreCorruptedException(dbPath, e);
            }

            throw;
        }
    }

    /// <summary>
    /// Starts a batch: until it is disposed, every call of this thread runs in one unit of work (one hold of the file
    /// lock, one open of the file, one checkpoint at the end), and other threads' and processes' calls wait. Keep it
    /// short (no waiting on other processes inside), and dispose it on the thread that started it. Batches nest.
    /// <para>
    /// With <paramref name="oneTransaction"/> (outermost batches only) the batch is also one transaction: the writes of
    /// all its calls, and of the outbox it applies first, commit together when it ends. LiteDB flushes its log at every
    /// commit (measured: ~9 fsyncs, ~5 ms, for a launch's unit of four commits). When a call in it fails, everything
    /// the batch wrote is rolled back when it ends, and its later writing calls throw.
    /// </para>
    /// <para>
    /// With <paramref name="applyOutbox"/> false, an outermost batch does not apply the outbox first: for a batch that
    /// only adds (a launch's IP lease), whose reads need nothing that waits there. The outbox holds session records and
    /// their changes, never a lease (only a lease's release), so a lease chosen meanwhile can only skip an address that
    /// is being released, never take one that is held. The calls that read sessions in it still apply it
    /// (<see cref="CountActiveSessions"/>, <see cref="ListActiveSessions"/>), as in any batch.
    /// </para>
    /// </summary>
    /// <exception cref="StoreException">Another process held the lock past the timeout, or the file cannot be opened.</exception>
    public StoreBatch Batch(bool oneTransaction = false, bool applyOutbox = true)
    {
        _gate.Enter();
        try
        {
            bool outermost = _unitDepth == 0;
            EnterUnit(applyOutbox: applyOutbox && !(oneTransaction && outermost));
            if (oneTransaction && outermost)
            {
                try
                {
                    if (!Db.BeginTrans()) throw new InvalidOperationException("a store transaction is already running on this thread");
                    _batchTransaction = true;
                    if (applyOutbox) ApplyOutbox();
                }
                catch
                {
                    EndBatchTransaction(commit: false);
                    ExitUnit();
                    throw;
                }
            }
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return new StoreBatch(this);
    }

    /// <summary>Ends a batch started by <see cref="Batch"/> (once).</summary>
    internal void EndBatch()
    {
        try
        {
            if (_batchTransaction && _unitDepth == 1) EndBatchTransaction(commit: !_batchFailed);
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw new StoreCorruptedException(DbPath, e);
        }
        finally
        {
            try
            {
                ExitUnit();
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>Commits or rolls back a one-transaction batch; after a commit, removes the outbox files it applied.</summary>
    private void EndBatchTransaction(bool commit)
    {
        var applied = _outboxAppliedInBatch;
        _batchTransaction = false;
        _batchFailed = false;
        _outboxAppliedInBatch = [];
        if (_db is not { } db) return;
        if (commit)
        {
            db.Commit();
            RemoveApplied(applied);
        }
        else
        {
            try
            {
                db.Rollback();
            }
            catch (LiteException)
            {
                // A damaged file (the failure being rolled back reported it): closing it discards the writes anyway.
            }
        }
    }

    /// <summary>Closes the database.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _db?.Dispose();
            _db = null;
            _unitDepth = 0;
            _fileLock.Dispose();
        }
    }

    /// <summary>Reads a meta value (e.g. the bridge subnet), or null.</summary>
    public string? GetMeta(string key) => Locked(() => Db.GetCollection(MetaCollection).FindById(key)?["value"].AsString);

    /// <summary>Sets a meta value.</summary>
    public void SetMeta(string key, string value) =>
        Locked(() => Db.GetCollection(MetaCollection).Upsert(new BsonDocument { ["_id"] = key, ["value"] = value }));

    /// <summary>Returns the meta value, first setting it to <paramref name="value"/> if absent (atomic across processes).</summary>
    public string GetOrAddMeta(string key, string value) =>
        InTransaction(() =>
        {
            var meta = Db.GetCollection(MetaCollection);
            if (meta.FindById(key) is { } existing)
            {
                return existing["value"].AsString;
            }

            meta.Insert(new BsonDocument { ["_id"] = key, ["value"] = value });
            return value;
        });

    private void Initialize(bool full)
    {
        InTransaction(() =>
        {
            // Reading the header, every collection page and the (small) profile and lease documents proves the file is usable.
            // Sessions and events are not counted here: counting walks their whole _id index, whose size grows with the
            // history (2.5 ms per open at 200 sessions and 400 events), and every call that reads them checks them anyway.
            // Profiles are read as documents, not parsed: a parse with its schema walk per profile made every launch
            // slower with each profile added, and the launch parses its own profile right after (a profile whose JSON
            // no longer parses is reported as damage by the call that reads it).
            var db = Db;
            _ = db.GetCollectionNames().ToList();
            if (full)
            {
                db.GetCollection(LeasesCollection).EnsureIndex("session", unique: true);
                db.GetCollection(EventsCollection).EnsureIndex(RecordDocuments.EventSessionField);
                db.GetCollection(SessionsCollection).EnsureIndex(RecordDocuments.SessionStateField);
                _ = db.GetCollection(ProfilesCollection).FindAll().Count(d => d["json"].IsString);
                _ = db.GetCollection(LeasesCollection).FindAll().Count();
            }
            var meta = db.GetCollection(MetaCollection);
            if (meta.FindById(IdentityKey)?["value"].AsString is not { } identity)
            {
                identity = Guid.NewGuid().ToString("N");
                meta.Insert(new BsonDocument { ["_id"] = IdentityKey, ["value"] = identity });
            }

            Snapshots.Verify(identity);
            return 0;
        });
    }

    /// <summary>
    /// Runs <paramref name="work"/> in one LiteDB transaction inside a unit of work; rolls back on error. Inside a
    /// one-transaction batch it runs in the batch's transaction (a failure marks the batch to roll back).
    /// </summary>
    private T InTransaction<T>(Func<T> work) =>
        Locked(() =>
        {
            if (_batchTransaction)
            {
                if (_batchFailed) throw new InvalidOperationException("an earlier call of this store batch failed: its writes are rolled back when it ends");
                try
                {
                    return work();
                }
                catch
                {
                    _batchFailed = true;
                    throw;
                }
            }

            var db = Db;
            if (!db.BeginTrans())
            {
                throw new InvalidOperationException("a store transaction is already running on this thread");
            }

            try
            {
                var result = work();
                db.Commit();
                return result;
            }
            catch
            {
                db.Rollback();
                throw;
            }
        });

    /// <summary>
    /// Runs <paramref name="work"/> in a unit of work (the batch's, if one is open on this thread); engine faults from a
    /// damaged file become <see cref="StoreCorruptedException"/>.
    /// </summary>
    private T Locked<T>(Func<T> work)
    {
        lock (_gate)
        {
            EnterUnit();
            try
            {
                return work();
            }
            catch (Exception e) when (IsCorruption(e))
            {
                throw new StoreCorruptedException(DbPath, e);
            }
            finally
            {
                ExitUnit();
            }
        }
    }

    /// <summary>
    /// Opens a unit of work (or joins the open one): takes the file lock, opens the file in direct mode and applies the
    /// outbox (unless the caller does, in its own transaction).
    /// </summary>
    private void EnterUnit(bool applyOutbox = true)
    {
        if (_unitDepth++ > 0)
        {
            return;
        }

        try
        {
            _fileLock.Enter();
            try
            {
                _db = new LiteDatabase(new ConnectionString { Filename = DbPath, Connection = ConnectionType.Direct }, Mapper);
                UnitsOpened++;
                if (applyOutbox) ApplyOutbox();
            }
            catch
            {
                _db?.Dispose();
                _db = null;
                _fileLock.Exit();
                throw;
            }
        }
        catch (Exception e) when (IsCorruption(e))
        {
            _unitDepth--;
            throw new StoreCorruptedException(DbPath, e);
        }
        catch
        {
            _unitDepth--;
            throw;
        }
    }

    /// <summary>Leaves a unit of work; the last one closes the file (LiteDB checkpoints its log) before letting go of the lock.</summary>
    private void ExitUnit()
    {
        if (_unitDepth == 0 || --_unitDepth > 0) // 0: the store was disposed inside the unit
        {
            return;
        }

        var db = _db;
        _db = null;
        try
        {
            db?.Dispose();
        }
        catch (Exception e) when (IsCorruption(e))
        {
            throw new StoreCorruptedException(DbPath, e);
        }
        finally
        {
            _fileLock.Exit();
        }
    }

    private void Locked(Action work) => Locked(() =>
    {
        work();
        return 0;
    });

    private DateTime Now() => _options.Clock.GetUtcNow().UtcDateTime;

    private static BsonMapper CreateMapper() => new()
    {
        // Defaults would trim strings and turn "" into null: keep values exactly as given.
        TrimWhitespace = false,
        EmptyStringToNull = false,
        SerializeNullValues = false,
    };

    private static void SetPrivateMode(string path)
    {
        if (File.Exists(path))
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// Faults that mean the file is damaged: LiteDB's internal consistency checks (code 0), format and page errors,
    /// low-level read failures while decoding pages, and stored profile JSON that no longer parses.
    /// </summary>
    private static bool IsCorruption(Exception e) =>
        e switch
        {
            LiteException lite => lite.ErrorCode is 0 or LiteException.INVALID_DATABASE or LiteException.INVALID_DATAFILE_STATE
                or LiteException.INVALID_FREE_SPACE_PAGE or LiteException.NOT_ENCRYPTED or LiteException.INVALID_PASSWORD
                or LiteException.INVALID_FORMAT,
            InvalidCastException or IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException
                or NullReferenceException or EndOfStreamException or NotSupportedException or FormatException
                or Validation.ProfileFormatException => true,
            _ => false,
        };
}
