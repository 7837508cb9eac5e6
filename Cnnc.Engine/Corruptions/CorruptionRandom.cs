namespace Cnnc.Engine.Corruptions;

/// <summary>
/// The corruptions' random numbers: SplitMix64 (Steele, Lea &amp; Flood 2014; the constants of Vigna's reference code),
/// uniforms from the top 53 bits, normals by Box–Muller (both values used), Poisson by inversion. Written out here so
/// that a seed gives the same noise on every .NET version (System.Random's algorithm is unspecified); the
/// transcendental functions are .NET's <see cref="Math"/> (correctly rounded on the usual platforms, not guaranteed
/// bit for bit across C runtimes).
/// </summary>
public sealed class CorruptionRandom
{
    private ulong _state;
    private double _spare;
    private bool _hasSpare;

    /// <summary>A generator starting at <paramref name="seed"/>.</summary>
    public CorruptionRandom(ulong seed) => _state = seed;

    /// <summary>
    /// The seed of one (corruption, severity, image) under a study seed: independent of the order images are corrupted
    /// in, so any shard or resumed chunk draws exactly the noise a full run would.
    /// </summary>
    public static ulong SeedFor(ulong seed, string corruption, int severity, long index)
    {
        // FNV-1a of the name, then SplitMix64's finaliser over each part.
        var h = 0xCBF29CE484222325UL;
        foreach (var ch in corruption) { h ^= ch; h *= 0x100000001B3UL; }
        var s = Mix(seed ^ Mix(h));
        s = Mix(s + (ulong)severity);
        return Mix(s ^ (ulong)index);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits (SplitMix64).</summary>
    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1): the top 53 bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller; the second value of each pair is the next call's).</summary>
    public double NextNormal()
    {
        if (_hasSpare) { _hasSpare = false; return _spare; }
        var u1 = 1.0 - NextDouble(); // (0, 1]
        var u2 = NextDouble();
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        var theta = 2.0 * Math.PI * u2;
        _spare = r * Math.Sin(theta);
        _hasSpare = true;
        return r * Math.Cos(theta);
    }

    /// <summary>Poisson with mean <paramref name="lambda"/> (0 ≤ λ ≤ 500) by inversion of the cumulative distribution.</summary>
    public long NextPoisson(double lambda)
    {
        if (!(lambda >= 0) || lambda > 500) throw new ArgumentOutOfRangeException(nameof(lambda), lambda, "Poisson mean must be in [0, 500].");
        if (lambda == 0) return 0;
        var u = NextDouble();
        var p = Math.Exp(-lambda);
        var cumulative = p;
        long k = 0;
        while (u > cumulative && k < 10_000)
        {
            k++;
            p *= lambda / k;
            cumulative += p;
            if (p == 0 && k > lambda) break; // the tail underflowed: u lies beyond double precision's reach
        }
        return k;
    }
}

/// <summary>
/// The noise one corruption of one image draws, in the order and shape numpy would (row-major over H×W×C), optionally
/// recorded so that a test can hand exactly this noise to the Python reference.
/// </summary>
internal sealed class CorruptionNoise
{
    private readonly CorruptionRandom _random;

    public CorruptionNoise(CorruptionRandom random, bool record = false)
    {
        _random = random;
        Recorded = record ? new List<(string Kind, double[] Values)>() : null;
    }

    /// <summary>The draws in order when recording: ("normal" | "uniform" | "poisson", values).</summary>
    public List<(string Kind, double[] Values)>? Recorded { get; }

    /// <summary><c>np.random.normal(size=n, scale=scale)</c>: scale · z.</summary>
    public double[] Normal(int n, double scale)
    {
        var v = new double[n];
        for (var i = 0; i < n; i++) v[i] = scale * _random.NextNormal();
        Recorded?.Add(("normal", v));
        return v;
    }

    /// <summary><c>np.random.uniform(low, high, n)</c>: low + (high − low) · u.</summary>
    public double[] Uniform(double low, double high, int n)
    {
        var v = new double[n];
        for (var i = 0; i < n; i++) v[i] = low + (high - low) * _random.NextDouble();
        Recorded?.Add(("uniform", v));
        return v;
    }

    /// <summary><c>np.random.poisson(lam)</c> element-wise.</summary>
    public double[] Poisson(double[] lambda)
    {
        var v = new double[lambda.Length];
        for (var i = 0; i < v.Length; i++) v[i] = _random.NextPoisson(lambda[i]);
        Recorded?.Add(("poisson", v));
        return v;
    }
}
