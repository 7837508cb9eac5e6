using Cnnc.Engine.Data;

namespace Cnnc.Engine.Tests.Data;

public sealed class ClassHierarchyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly string[] Fashion = IdxDataset.FashionMnistClasses.ToArray();

    [Fact]
    public void ImageNet1kReproducesVacCnnRoots()
    {
        var h = ClassHierarchy.ImageNet1k;
        Assert.Equal(1000, h.ClassCount);
        Assert.Equal(new[] { "animal", "artifact", "misc", "natural object", "geological formation", "person", "plant", "fungus" }, h.Roots);
        // Class counts per root in VAC-CNN's scatter data (src/data/scatterModel.js): 398, 522, 42, 17, 9, 3, 2, 7.
        Assert.Equal(new[] { 398, 522, 42, 17, 9, 3, 2, 7 }, Enumerable.Range(0, 8).Select(r => h.ClassesOf(r).Count));
        Assert.Equal(h.Classes.OrderBy(w => w, StringComparer.Ordinal), h.Classes);
        // Spot checks against VAC-CNN's bar and scatter data (label index, wnid, root).
        var expected = new (int Index, string Wnid, string Name, string Root)[]
        {
            (0, "n01440764", "tench", "animal"),
            (151, "n02085620", "Chihuahua", "animal"),
            (817, "n04285008", "sports car", "artifact"),
            (934, "n07697537", "hotdog", "misc"),
            (999, "n15075141", "toilet tissue", "misc"),
            (950, "n07747607", "orange", "natural object"),
            (977, "n09421951", "sandbar", "natural object"), // also under geological formation: VAC's scatter says natural object
            (970, "n09193705", "alp", "geological formation"),
            (981, "n09835506", "ballplayer", "person"),
            (985, "n11939491", "daisy", "plant"),
            (991, "n12985857", "coral fungus", "fungus"),
        };
        foreach (var (index, wnid, name, root) in expected)
        {
            Assert.Equal(wnid, h.Classes[index]);
            Assert.Equal(name, h.ClassNames[index]);
            Assert.Equal(root, h.RootNameOf(index));
            Assert.Equal(root, h.RootNameOf(wnid));
        }
        Assert.Equal("tench, Tinca tinca", ImageNetClasses.Words[0]);
        Assert.Equal(new[] { 981, 982, 983 }, h.ClassesOf("person"));
    }

    [Fact]
    public void WordNetDerivationEqualsTheBuiltInTable()
    {
        var wordNet = WordNet.Load();
        var derived = ClassHierarchy.FromWordNet(ImageNetClasses.Wnids, wordNet);
        var builtIn = ClassHierarchy.ImageNet1k;
        Assert.Equal(builtIn.Roots, derived.Roots);
        Assert.Equal(builtIn.RootIndices, derived.RootIndices);
        Assert.Equal(builtIn.ClassNames, derived.ClassNames);
        Assert.Equal(ImageNetClasses.Words, ImageNetClasses.Wnids.Select(w => string.Join(", ", wordNet.Lemmas(w))));
        Assert.Same(builtIn, ClassHierarchy.ForImageNet(ImageNetClasses.Wnids));
    }

    [Fact]
    public void WordNetPlacesSynsetsOutsideTheThousand()
    {
        var wordNet = WordNet.Load();
        Assert.Equal(new[] { "dog", "domestic dog", "Canis familiaris" }, wordNet.Lemmas("n02084071"));
        Assert.Equal(new[] { "n02083346", "n01317541" }, wordNet.Hypernyms("n02084071")); // canine, domestic animal
        var distances = wordNet.AncestorDistances("n02084071");
        Assert.Equal(0, distances["n02084071"]);
        Assert.True(distances.ContainsKey("n00015388")); // animal
        Assert.Equal(1, distances["n01317541"]); // domestic animal is a direct hypernym

        var h = ClassHierarchy.FromWordNet(new[] { "n02084071", "n02085620", "n04285008", "n09421951" }, wordNet);
        Assert.Equal(new[] { "animal", "artifact", "natural object" }, h.Roots); // empty roots dropped
        Assert.Equal(new[] { "animal", "animal", "artifact", "natural object" }, Enumerable.Range(0, 4).Select(h.RootNameOf));
        Assert.Equal("dog", h.ClassNames[0]);

        var kept = ClassHierarchy.FromWordNet(new[] { "n02084071" }, wordNet, keepEmptyRoots: true);
        Assert.Equal(8, kept.RootCount);

        // Without a catch-all root, food is homeless.
        var roots = new[] { new WordNetRoot("animal", "n00015388") };
        var ex = Assert.Throws<DatasetFormatException>(() => ClassHierarchy.FromWordNet(new[] { "n02084071", "n07697537" }, wordNet, roots));
        Assert.Contains("n07697537", ex.Message);
        ex = Assert.Throws<DatasetFormatException>(() => ClassHierarchy.FromWordNet(new[] { "n99999999" }, wordNet));
        Assert.Contains("n99999999", ex.Message);
    }

    [Fact]
    public void FashionMnistBuiltIn()
    {
        var h = ClassHierarchy.FashionMnist;
        Assert.Equal(new[] { "tops", "bottoms & dresses", "footwear", "bags" }, h.Roots);
        Assert.Equal(Fashion, h.Classes);
        Assert.Equal(new[] { 0, 2, 4, 6 }, h.ClassesOf("tops"));
        Assert.Equal(new[] { 1, 3 }, h.ClassesOf("bottoms & dresses"));
        Assert.Equal(new[] { 5, 7, 9 }, h.ClassesOf("footwear"));
        Assert.Equal(new[] { 8 }, h.ClassesOf("bags"));
        Assert.Equal("footwear", h.RootNameOf("Ankle boot"));
        Assert.Equal(2, h.IndexOfRoot("footwear"));
        Assert.Throws<KeyNotFoundException>(() => h.IndexOfClass("Hat"));
        Assert.Throws<KeyNotFoundException>(() => h.IndexOfRoot("hats"));
    }

    [Fact]
    public void AmbiguousDisplayNamesNeedTheKey()
    {
        var h = ClassHierarchy.ImageNet1k;
        var ex = Assert.Throws<KeyNotFoundException>(() => h.IndexOfClass("crane"));
        Assert.Contains("n02012849", ex.Message);
        Assert.Contains("n03126707", ex.Message);
        Assert.Equal("animal", h.RootNameOf("n02012849"));
        Assert.Equal("artifact", h.RootNameOf("n03126707"));
        Assert.Equal(0, h.IndexOfClass("tench"));
    }

    [Fact]
    public void JsonAndCsvFilesLoad()
    {
        var json = _dir.Text("clothes.json", """
            {
              "name": "clothes",
              "roots": {
                "upper": ["T-shirt/top", "Pullover", "Coat", "Shirt", "Dress"],
                "lower": ["Trouser"],
                "shoes": ["Sandal", "Sneaker", "Ankle boot"],
                "other": ["Bag"]
              }
            }
            """);
        var h = ClassHierarchy.Load(json, Fashion);
        Assert.Equal("clothes", h.Name);
        Assert.Equal(new[] { "upper", "lower", "shoes", "other" }, h.Roots);
        Assert.Equal("upper", h.RootNameOf("Dress"));

        var csv = _dir.Text("clothes.csv", "class,root\n# comment\n\"T-shirt/top\",tops\nTrouser,bottoms\nPullover,tops\nDress,bottoms\r\nCoat,tops\nSandal,shoes\nShirt,tops\nSneaker,shoes\nBag,\"bags, etc.\"\nAnkle boot,shoes\n");
        var c = ClassHierarchy.Load(csv, Fashion);
        Assert.Equal(new[] { "tops", "bottoms", "shoes", "bags, etc." }, c.Roots);
        Assert.Equal(new[] { 0, 2, 4, 6 }, c.ClassesOf("tops"));
        Assert.Equal("clothes", c.Name);

        var roundTrip = _dir.Combine("saved.json");
        ClassHierarchy.FashionMnist.Save(roundTrip);
        var back = ClassHierarchy.Load(roundTrip, Fashion);
        Assert.Equal(ClassHierarchy.FashionMnist.Roots, back.Roots);
        Assert.Equal(ClassHierarchy.FashionMnist.RootIndices, back.RootIndices);
        Assert.Equal("fashion-mnist", back.Name);
    }

    [Fact]
    public void BadHierarchyFilesAreClearErrors()
    {
        var unknown = _dir.Text("unknown.json", """{"roots": {"tops": ["T-shirt/top", "Hat"], "rest": ["Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]}}""");
        var ex = Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(unknown, Fashion));
        Assert.Contains(unknown, ex.Message);
        Assert.Contains("'Hat' is not a class", ex.Message);

        var missing = _dir.Text("missing.csv", "T-shirt/top,tops\nTrouser,bottoms\n");
        ex = Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(missing, Fashion));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("8 class(es) have no root", ex.Message);
        Assert.Contains("Pullover", ex.Message);

        var twice = _dir.Text("twice.csv", string.Join("\n", Fashion.Select(f => $"{f},a")) + "\nBag,b\n");
        ex = Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(twice, Fashion));
        Assert.Contains("'Bag' is listed twice", ex.Message);

        var broken = _dir.Text("broken.json", "{\"roots\": {\"tops\": [\"Shirt\"");
        Assert.Contains("not valid JSON", Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(broken, Fashion)).Message);
        var shape = _dir.Text("shape.json", "{\"tops\": [\"Shirt\"]}");
        Assert.Contains("\"roots\"", Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(shape, Fashion)).Message);
        var fields = _dir.Text("fields.csv", "Shirt,tops,extra\n");
        Assert.Contains("fields.csv:1", Assert.Throws<DatasetFormatException>(() => ClassHierarchy.Load(fields, Fashion)).Message);
        Assert.Throws<FileNotFoundException>(() => ClassHierarchy.Load(_dir.Combine("none.json"), Fashion));
    }
}
