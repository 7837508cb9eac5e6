using System.Diagnostics;
using System.Numerics;

namespace Cnnc.Engine.Analysis;

/// <summary>Settings of <see cref="Tsne"/>. The defaults are VAC-CNN's (perplexity 5, early exaggeration 25, learning
/// rate 800, seed 2000) over scikit-learn 1.2's schedule (1000 iterations, 250 exaggerated, momentum 0.5 then 0.8).</summary>
public sealed record TsneOptions
{
    /// <summary>Square the given distances before the affinities, as scikit-learn 1.2's <c>TSNE(metric="precomputed")</c>
    /// does (<c>distances **= 2</c> for every metric but "euclidean", whose distances it computes squared). False uses the
    /// distances as given, as scikit-learn before 1.2 did for a precomputed metric (<c>square_distances="legacy"</c>).</summary>
    public bool SquareDistances { get; init; } = true;

    /// <summary>Target perplexity of each conditional distribution P(j | i).</summary>
    public double Perplexity { get; init; } = 5;

    /// <summary>Factor P is multiplied by during the first <see cref="ExaggerationIterations"/>.</summary>
    public double EarlyExaggeration { get; init; } = 25;

    /// <summary>Step size.</summary>
    public double LearningRate { get; init; } = 800;

    /// <summary>Total iterations, exaggerated ones included.</summary>
    public int Iterations { get; init; } = 1000;

    /// <summary>Iterations of the early-exaggeration phase.</summary>
    public int ExaggerationIterations { get; init; } = 250;

    /// <summary>Momentum during the exaggeration phase.</summary>
    public double InitialMomentum { get; init; } = 0.5;

    /// <summary>Momentum afterwards.</summary>
    public double FinalMomentum { get; init; } = 0.8;

    /// <summary>Lower bound of the adaptive gains.</summary>
    public double MinGain { get; init; } = 0.01;

    /// <summary>Stop when the (gain-scaled) gradient norm falls to this at a check.</summary>
    public double MinGradientNorm { get; init; } = 1e-7;

    /// <summary>Stop a phase when the KL divergence has not improved for this many iterations (checked every
    /// <see cref="CheckEvery"/>; the exaggeration phase uses its own length as the limit, as scikit-learn does).</summary>
    public int IterationsWithoutProgress { get; init; } = 300;

    /// <summary>Iterations between KL evaluations and convergence checks.</summary>
    public int CheckEvery { get; init; } = 50;

    /// <summary>scikit-learn's learning_rate="auto": max(N / early exaggeration / 4, 50), for small N where 800 overshoots.</summary>
    public static double AutoLearningRate(int n, double earlyExaggeration = 25) => Math.Max(n / earlyExaggeration / 4, 50);

    /// <summary>Seed of the random initial layout (1e-4 · N(0, 1), as scikit-learn's init="random").</summary>
    public int Seed { get; init; } = 2000;

    /// <summary>An explicit initial layout (x0, y0, x1, y1, …) instead of the seeded random one.</summary>
    public IReadOnlyList<double>? Initial { get; init; }

    /// <summary>Worker threads (null: all processors). The result does not depend on it.</summary>
    public int? Threads { get; init; }

    internal TsneOptions Validate(int n)
    {
        if (n < 2) throw new ArgumentException("t-SNE needs at least 2 points.");
        if (!(Perplexity > 0) || Perplexity >= n)
            throw new ArgumentOutOfRangeException(nameof(Perplexity), $"Perplexity must be in (0, {n}) for {n} points, got {Perplexity}.");
        if (!(EarlyExaggeration >= 1)) throw new ArgumentOutOfRangeException(nameof(EarlyExaggeration), "Early exaggeration must be >= 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), "The learning rate must be positive.");
        if (Iterations < 1 || ExaggerationIterations < 0 || ExaggerationIterations > Iterations)
            throw new ArgumentOutOfRangeException(nameof(Iterations), "Need 1 <= iterations and 0 <= exaggeration iterations <= iterations.");
        if (CheckEvery < 1) throw new ArgumentOutOfRangeException(nameof(CheckEvery));
        if (Initial is not null && Initial.Count != 2 * n)
            throw new ArgumentException($"The initial layout needs {2 * n} values (x, y per point), got {Initial.Count}.");
        return this;
    }
}

/// <summary>The KL divergence at one check of the optimisation.</summary>
/// <param name="Iteration">Iteration index (0-based).</param>
/// <param name="KlDivergence">KL(P‖Q); during the exaggeration phase, of the exaggerated P (as scikit-learn reports).</param>
/// <param name="GradientNorm">Norm of the gain-scaled gradient.</param>
/// <param name="Exaggerated">Whether this was in the exaggeration phase.</param>
public sealed record TsneCheckpoint(int Iteration, double KlDivergence, double GradientNorm, bool Exaggerated);

/// <summary>A 2-D embedding.</summary>
/// <param name="X">First coordinate per point.</param>
/// <param name="Y">Second coordinate per point.</param>
/// <param name="KlDivergence">Final KL(P‖Q) of the un-exaggerated P.</param>
/// <param name="Iterations">Iterations run.</param>
/// <param name="History">KL at every check.</param>
/// <param name="Seconds">Wall time of the optimisation (affinities included).</param>
public sealed record TsneResult(double[] X, double[] Y, double KlDivergence, int Iterations, IReadOnlyList<TsneCheckpoint> History, double Seconds);

/// <summary>
/// Exact t-SNE (van der Maaten and Hinton 2008) of a precomputed distance matrix into 2-D, deterministic for a seed.
/// </summary>
/// <remarks>
/// Follows scikit-learn 1.2's <c>TSNE(method="exact", metric="precomputed", init="random")</c>, which VAC-CNN calls:
/// <list type="bullet">
/// <item>Affinities: the distances are squared (as scikit-learn 1.2 does for a precomputed metric;
/// <see cref="TsneOptions.SquareDistances"/>) and p(j|i) ∝ exp(−β_i d_ij²); β_i by binary search until the entropy is within 1e-5 of ln(perplexity) (at most 100
/// steps); P = (P + Pᵀ) / sum, floored at machine epsilon.</item>
/// <item>Student-t (one degree of freedom) similarities in 2-D; gradient 4 Σ_j (p_ij − q_ij)(1 + ‖y_i − y_j‖²)⁻¹ (y_i − y_j).</item>
/// <item>Gradient descent with momentum and per-coordinate gains as van der Maaten's reference implementation:
/// gain + 0.2 where the gradient's sign differs from the last update's, × 0.8 where it agrees, floored at
/// <see cref="TsneOptions.MinGain"/>; update ← momentum · update − rate · gain · gradient. Momentum, gains and update
/// restart with the second phase, as in scikit-learn.</item>
/// <item>Early exaggeration multiplies P for the first <see cref="TsneOptions.ExaggerationIterations"/> iterations.</item>
/// </list>
/// The O(N²) pair loop is vectorised (SIMD) and split over threads by rows; every row's sums are computed by one
/// thread in a fixed order and combined in row order, so the result is bit-identical for any thread count.
/// Times: BENCHMARKS.md ("Analysis"); a Debug build runs the vector loop unoptimised, many times slower.
/// </remarks>
public static class Tsne
{
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>Embeds <paramref name="n"/> points given their distances (row-major N×N, symmetric, >= 0).</summary>
    public static TsneResult Embed(IReadOnlyList<double> distances, int n, TsneOptions? options = null, CancellationToken cancellationToken = default)
    {
        options = (options ?? new TsneOptions()).Validate(n);
        if (distances.Count != (long)n * n) throw new ArgumentException($"{n} points need {(long)n * n} distances, got {distances.Count}.");
        var clock = Stopwatch.StartNew();
        var d = distances as double[] ?? distances.ToArray();
        for (var i = 0; i < d.Length; i++)
            if (!(d[i] >= 0) || double.IsInfinity(d[i]))
                throw new ArgumentException($"Distance [{i / n}, {i % n}] is {d[i]}: distances must be finite and >= 0.");
        var p = JointProbabilities(options.SquareDistances ? Array.ConvertAll(d, v => v * v) : d, n, options.Perplexity);
        var (x, y) = InitialLayout(n, options);
        var history = new List<TsneCheckpoint>();
        var threads = Math.Max(1, options.Threads ?? Environment.ProcessorCount);
        var work = new Workspace(n);

        // Phase 1: exaggerated P, initial momentum.
        var (it, kl) = Descend(p, x, y, n, options, work, 0, options.ExaggerationIterations, options.InitialMomentum,
            options.EarlyExaggeration, options.ExaggerationIterations, threads, history, cancellationToken);
        // Phase 2: true P, final momentum, from the next iteration to the end (as scikit-learn).
        if (it + 1 < options.Iterations)
            (it, kl) = Descend(p, x, y, n, options, work, it + 1, options.Iterations,
                options.FinalMomentum, 1.0, options.IterationsWithoutProgress, threads, history, cancellationToken);
        else
            kl = KlDivergence(p, x, y, n, 1.0, work, threads); // no second phase: report the un-exaggerated KL

        // Centre the layout (KL is translation invariant).
        double mx = x.Average(), my = y.Average();
        for (var i = 0; i < n; i++) { x[i] -= mx; y[i] -= my; }
        return new TsneResult(x, y, kl, it + 1, history, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// The symmetric joint probabilities P (row-major N×N, zero diagonal) of a distance matrix at a perplexity, as
    /// scikit-learn's <c>_joint_probabilities</c>: p(j|i) ∝ exp(−β_i d_ij) of the values as given (<see cref="Embed"/>
    /// passes the squared distances).
    /// </summary>
    public static double[] JointProbabilities(double[] distances, int n, double perplexity)
    {
        var conditional = new double[n * n];
        var desiredEntropy = Math.Log(perplexity);
        Parallel.For(0, n, i =>
        {
            double betaMin = double.NegativeInfinity, betaMax = double.PositiveInfinity, beta = 1.0;
            var row = i * n;
            for (var step = 0; step < 100; step++)
            {
                double sumP = 0;
                for (var j = 0; j < n; j++)
                {
                    if (j == i) continue;
                    sumP += conditional[row + j] = Math.Exp(-distances[row + j] * beta);
                }
                if (sumP == 0) sumP = 1e-8;
                double sumDP = 0;
                for (var j = 0; j < n; j++)
                {
                    conditional[row + j] /= sumP;
                    sumDP += distances[row + j] * conditional[row + j];
                }
                var entropy = Math.Log(sumP) + beta * sumDP;
                var diff = entropy - desiredEntropy;
                if (Math.Abs(diff) <= 1e-5) break;
                if (diff > 0)
                {
                    betaMin = beta;
                    beta = double.IsPositiveInfinity(betaMax) ? beta * 2 : (beta + betaMax) / 2;
                }
                else
                {
                    betaMax = beta;
                    beta = double.IsNegativeInfinity(betaMin) ? beta / 2 : (beta + betaMin) / 2;
                }
            }
        });
        var p = new double[n * n];
        double total = 0;
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                total += p[i * n + j] = conditional[i * n + j] + conditional[j * n + i];
        total = Math.Max(total, MachineEpsilon);
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                p[i * n + j] = i == j ? 0 : Math.Max(p[i * n + j] / total, MachineEpsilon);
        return p;
    }

    /// <summary>KL(P‖Q) and its gradient at a layout (for tests against scikit-learn's <c>_kl_divergence</c>).</summary>
    internal static (double Kl, double[] Gx, double[] Gy) KlAndGradient(double[] p, double[] x, double[] y, int n, double exaggeration = 1)
    {
        var work = new Workspace(n);
        var z = Gradient(p, x, y, n, exaggeration, work, 1);
        var kl = KlDivergence(p, x, y, n, exaggeration, work, 1, z);
        return (kl, work.Gx.ToArray(), work.Gy.ToArray());
    }

    private static (double[] X, double[] Y) InitialLayout(int n, TsneOptions options)
    {
        var x = new double[n];
        var y = new double[n];
        if (options.Initial is { } init)
        {
            for (var i = 0; i < n; i++) { x[i] = init[2 * i]; y[i] = init[2 * i + 1]; }
            return (x, y);
        }
        var random = new Random(options.Seed);
        double Normal()
        {
            // Box-Muller on System.Random's seeded (stable) sequence.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        for (var i = 0; i < n; i++) { x[i] = 1e-4 * Normal(); y[i] = 1e-4 * Normal(); }
        return (x, y);
    }

    private sealed class Workspace(int n)
    {
        public readonly double[] Z = new double[n], Ax = new double[n], Ay = new double[n], Rx = new double[n], Ry = new double[n];
        public readonly double[] Gx = new double[n], Gy = new double[n];
        public readonly double[] Kl = new double[n];
    }

    private static (int LastIteration, double Kl) Descend(double[] p, double[] x, double[] y, int n, TsneOptions o,
        Workspace work, int from, int to, double momentum, double exaggeration, int withoutProgress, int threads,
        List<TsneCheckpoint> history, CancellationToken token)
    {
        var ux = new double[n];
        var uy = new double[n];
        var gainX = new double[n];
        var gainY = new double[n];
        Array.Fill(gainX, 1.0);
        Array.Fill(gainY, 1.0);
        double error = double.MaxValue, best = double.MaxValue;
        var bestIteration = from;
        var last = from - 1;
        for (var i = from; i < to; i++)
        {
            last = i;
            token.ThrowIfCancellationRequested();
            var check = (i + 1) % o.CheckEvery == 0;
            var z = Gradient(p, x, y, n, exaggeration, work, threads);
            if (check || i == to - 1) error = KlDivergence(p, x, y, n, exaggeration, work, threads, z);
            double norm2 = 0;
            for (var k = 0; k < n; k++)
            {
                Step(ref work.Gx[k], ref ux[k], ref gainX[k], ref x[k]);
                Step(ref work.Gy[k], ref uy[k], ref gainY[k], ref y[k]);
                norm2 += work.Gx[k] * work.Gx[k] + work.Gy[k] * work.Gy[k];
            }
            if (check)
            {
                var norm = Math.Sqrt(norm2);
                history.Add(new TsneCheckpoint(i, error, norm, exaggeration != 1.0));
                if (error < best) { best = error; bestIteration = i; }
                else if (i - bestIteration > withoutProgress) break;
                if (norm <= o.MinGradientNorm) break;
            }
        }
        return (last, error);

        void Step(ref double grad, ref double update, ref double gain, ref double position)
        {
            if (update * grad < 0) gain += 0.2;
            else gain *= 0.8;
            if (gain < o.MinGain) gain = o.MinGain;
            grad *= gain;
            update = momentum * update - o.LearningRate * grad;
            position += update;
        }
    }

    /// <summary>Writes the gradient into work.Gx/Gy; returns Z = Σ_{i≠j} (1 + ‖y_i − y_j‖²)⁻¹.</summary>
    private static double Gradient(double[] p, double[] x, double[] y, int n, double exaggeration, Workspace w, int threads)
    {
        const int block = 16;
        var blocks = (n + block - 1) / block;
        Parallel.For(0, blocks, new ParallelOptions { MaxDegreeOfParallelism = threads }, b =>
        {
            for (var i = b * block; i < Math.Min(n, (b + 1) * block); i++) Row(p, x, y, n, i, w);
        });
        double z = 0;
        for (var i = 0; i < n; i++) z += w.Z[i];
        var c = 4.0;
        for (var i = 0; i < n; i++)
        {
            w.Gx[i] = c * (exaggeration * w.Ax[i] - w.Rx[i] / z);
            w.Gy[i] = c * (exaggeration * w.Ay[i] - w.Ry[i] / z);
        }
        return z;
    }

    /// <summary>Row sums for point i: Σ w, Σ p·w·Δ, Σ w²·Δ (j = i contributes w = 1, Δ = 0: removed from Σ w).</summary>
    private static void Row(double[] p, double[] x, double[] y, int n, int i, Workspace w)
    {
        var xi = x[i];
        var yi = y[i];
        var row = i * n;
        var j = 0;
        double z = 0, ax = 0, ay = 0, rx = 0, ry = 0;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var width = Vector<double>.Count;
            var vxi = new Vector<double>(xi);
            var vyi = new Vector<double>(yi);
            var one = Vector<double>.One;
            Vector<double> vz = Vector<double>.Zero, vax = vz, vay = vz, vrx = vz, vry = vz;
            var ps = p.AsSpan(row, n);
            for (; j <= n - width; j += width)
            {
                var dx = vxi - new Vector<double>(x, j);
                var dy = vyi - new Vector<double>(y, j);
                var q = one / (one + dx * dx + dy * dy);
                var pw = new Vector<double>(ps.Slice(j, width)) * q;
                var qq = q * q;
                vz += q;
                vax += pw * dx;
                vay += pw * dy;
                vrx += qq * dx;
                vry += qq * dy;
            }
            z = Vector.Sum(vz);
            ax = Vector.Sum(vax);
            ay = Vector.Sum(vay);
            rx = Vector.Sum(vrx);
            ry = Vector.Sum(vry);
        }
        for (; j < n; j++)
        {
            var dx = xi - x[j];
            var dy = yi - y[j];
            var q = 1.0 / (1.0 + dx * dx + dy * dy);
            var pw = p[row + j] * q;
            z += q;
            ax += pw * dx;
            ay += pw * dy;
            rx += q * q * dx;
            ry += q * q * dy;
        }
        w.Z[i] = z - 1.0;
        w.Ax[i] = ax;
        w.Ay[i] = ay;
        w.Rx[i] = rx;
        w.Ry[i] = ry;
    }

    /// <summary>KL(P‖Q) = Σ_{i≠j} p_ij log(p_ij / q_ij) with p scaled by <paramref name="exaggeration"/>, q floored at eps.</summary>
    private static double KlDivergence(double[] p, double[] x, double[] y, int n, double exaggeration, Workspace w, int threads, double z = double.NaN)
    {
        if (double.IsNaN(z)) z = Gradient(p, x, y, n, exaggeration, w, threads);
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            double kl = 0;
            var row = i * n;
            for (var j = 0; j < n; j++)
            {
                if (j == i) continue;
                var dx = x[i] - x[j];
                var dy = y[i] - y[j];
                var q = Math.Max(1.0 / (1.0 + dx * dx + dy * dy) / z, MachineEpsilon);
                var pij = p[row + j] * exaggeration;
                kl += pij * Math.Log(Math.Max(pij, MachineEpsilon) / q);
            }
            w.Kl[i] = kl;
        });
        double total = 0;
        for (var i = 0; i < n; i++) total += w.Kl[i];
        return total;
    }
}
