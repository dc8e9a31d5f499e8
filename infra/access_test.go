package main

import (
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/changes"
	"github.com/personsapi/persons/pkg/persons"
)

const (
	ddbPkg   = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	typesPkg = ddbPkg + "/types"
)

// The entry points of each function into the code that talks to DynamoDB: the store
// methods its handlers call, or the function's own main. Method expressions, not names,
// so that renaming a method breaks the build of this test instead of its meaning.
var (
	personsFunctionMethods = []any{
		(*persons.Store).CreatePerson, (*persons.Store).GetPerson, (*persons.Store).GetPersonDetails,
		(*persons.Store).ListPersons, (*persons.Store).UpdatePerson, (*persons.Store).DeletePerson,
		(*changes.Log).Read, // GET /changes
	}
	// The change feed's processor: Lambda's event source mapping calls Handle.
	changesFunctionMethods = []any{(*changes.Log).Handle}
	// One generic implementation serves every related kind, so its methods stand for
	// all instantiations.
	relatedFunctionMethods = []any{
		(*persons.Related[persons.Address, *persons.Address]).List, (*persons.Related[persons.Address, *persons.Address]).Get,
		(*persons.Related[persons.Address, *persons.Address]).Create, (*persons.Related[persons.Address, *persons.Address]).Replace,
		(*persons.Related[persons.Address, *persons.Address]).Update, (*persons.Related[persons.Address, *persons.Address]).Delete,
	}
)

// seedFunctionMain is the seed function's package: its entry points into pkg/seed are
// what its main calls.
const seedFunctionMain = "./functions/seed"

// usage is what some code does with DynamoDB, as IAM actions.
type usage struct {
	actions    map[string][]string // action -> where (file:line)
	indexQuery []string            // where a Query names an index
}

// TestAccessMatchesCode keeps functionAccess honest: DynamoDB Local does not check IAM, so
// a store call without its action would only fail in AWS (AccessDeniedException), and an
// action no code uses is privilege nobody needs. It builds the code of the module in SSA
// form, follows the calls from each function's entry points (above) and collects the
// DynamoDB client calls, paginators and transaction parts it reaches. Only the entry
// points are named: which file or helper holds a call does not matter.
func TestAccessMatchesCode(t *testing.T) {
	a := newAccessAnalysis(t, seedFunctionMain, "./pkg/changes")
	want := map[string]usage{
		string(api.FunctionPersons): a.reach(a.methods(t, personsFunctionMethods)...),
		seedFunction:                a.reach(a.main(t, seedFunctionMain)),
		changesFunction:             a.reach(a.methods(t, changesFunctionMethods)...),
	}
	related := a.reach(a.methods(t, relatedFunctionMethods)...)
	for _, k := range persons.Kinds {
		want[string(api.FunctionFor(k))] = related
	}
	if len(want[string(api.FunctionPersons)].actions) == 0 || len(related.actions) == 0 || len(want[seedFunction].actions) == 0 {
		t.Fatalf("found no DynamoDB calls (%v): the analysis is broken", want)
	}
	for _, fn := range slices.Sorted(maps.Keys(want)) {
		u := want[fn]
		for _, action := range slices.Sorted(maps.Keys(u.actions)) {
			t.Logf("%s: %s at %s", fn, action, strings.Join(u.actions[action], ", "))
		}
		if len(u.indexQuery) > 0 {
			t.Logf("%s: index query at %s", fn, strings.Join(u.indexQuery, ", "))
		}
		granted := functionAccess[fn].TableActions
		for _, action := range slices.Sorted(maps.Keys(u.actions)) {
			if !slices.Contains(granted, action) {
				t.Errorf("%s: the code needs %s (%s) but functionAccess does not grant it", fn, action, strings.Join(u.actions[action], ", "))
			}
		}
		for _, action := range granted {
			if _, ok := u.actions[action]; !ok {
				t.Errorf("%s: functionAccess grants %s, which no code of the function uses", fn, action)
			}
		}
		if gotIndex := len(functionAccess[fn].IndexQueries) > 0; gotIndex != (len(u.indexQuery) > 0) {
			t.Errorf("%s: index queries granted %v, index queries in the code at %v", fn, functionAccess[fn].IndexQueries, u.indexQuery)
		}
	}

	// An exported method of the same types that no function lists would have its
	// DynamoDB calls unchecked here (and, once a handler calls it, ungranted in AWS).
	entry := map[*ssa.Function]bool{}
	receivers := map[[2]string]bool{}
	for _, e := range slices.Concat(personsFunctionMethods, relatedFunctionMethods, changesFunctionMethods) {
		pkg, typ, _ := method(e)
		receivers[[2]string{pkg, typ}] = true
		entry[a.methods(t, []any{e})[0]] = true
	}
	for pt := range receivers {
		for _, m := range a.declaredMethods(t, pt[0], pt[1]) {
			if u := a.reach(m); m.Object().Exported() && !entry[m] && len(u.actions) > 0 {
				t.Errorf("%s calls DynamoDB (%v) but no function lists it among its entry points (personsFunctionMethods, relatedFunctionMethods)",
					m, slices.Sorted(maps.Keys(u.actions)))
			}
		}
	}
}

// accessAnalysis is the SSA form of the module's packages the functions run.
type accessAnalysis struct {
	prog   *ssa.Program
	module string     // module path; only its code is followed
	client types.Type // *dynamodb.Client
	// methodsByName lists the module's methods, to resolve calls through interfaces.
	methodsByName map[string][]*ssa.Function
}

// newAccessAnalysis builds SSA for every package of this module that pkg/persons and
// the given main packages import, from source; other dependencies come from export
// data, without bodies, so the analysis never follows calls into them.
func newAccessAnalysis(t *testing.T, mains ...string) *accessAnalysis {
	t.Helper()
	patterns := append([]string{"./pkg/persons"}, mains...)
	graph, err := packages.Load(&packages.Config{Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedModule, Dir: ".."}, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	a := &accessAnalysis{module: graph[0].Module.Path, methodsByName: map[string][]*ssa.Function{}}
	var local []string
	packages.Visit(graph, nil, func(p *packages.Package) {
		if a.inModule(p.PkgPath) {
			local = append(local, p.PkgPath)
		}
	})
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadSyntax, Dir: ".."}, local...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		for _, e := range p.Errors {
			t.Fatalf("load %s: %v", p.PkgPath, e)
		}
	}
	prog, _ := ssautil.Packages(pkgs, 0)
	prog.Build()
	a.prog = prog
	ddb := prog.ImportedPackage(ddbPkg)
	if ddb == nil {
		t.Fatalf("%s not loaded: no code of the functions uses DynamoDB?", ddbPkg)
	}
	a.client = types.NewPointer(ddb.Type("Client").Type())
	for f := range ssautil.AllFunctions(prog) {
		if f.Signature.Recv() != nil && f.Pkg != nil && a.inModule(f.Pkg.Pkg.Path()) {
			a.methodsByName[f.Name()] = append(a.methodsByName[f.Name()], f)
		}
	}
	return a
}

func (a *accessAnalysis) inModule(pkgPath string) bool {
	return pkgPath == a.module || strings.HasPrefix(pkgPath, a.module+"/")
}

// method names the method of a method expression such as (*persons.Store).GetPerson:
// its package, receiver type (without type arguments) and name.
func method(expr any) (pkg, typ, name string) {
	v := reflect.ValueOf(expr)
	full := runtime.FuncForPC(v.Pointer()).Name()
	recv := v.Type().In(0).Elem()
	typ, _, _ = strings.Cut(recv.Name(), "[") // Related[...Address] -> Related
	return recv.PkgPath(), typ, full[strings.LastIndex(full, ".")+1:]
}

// methods returns the SSA functions of method expressions; for a generic type, the
// generic method.
func (a *accessAnalysis) methods(t *testing.T, exprs []any) []*ssa.Function {
	t.Helper()
	var fns []*ssa.Function
	for _, e := range exprs {
		pkg, typ, name := method(e)
		declared := a.declaredMethods(t, pkg, typ)
		i := slices.IndexFunc(declared, func(f *ssa.Function) bool { return f.Name() == name })
		if i < 0 {
			t.Fatalf("no method %s of %s.%s in the SSA program", name, pkg, typ)
		}
		fns = append(fns, declared[i])
	}
	return fns
}

// declaredMethods returns the methods declared on the named type typ of package pkg.
func (a *accessAnalysis) declaredMethods(t *testing.T, pkg, typ string) []*ssa.Function {
	t.Helper()
	p := a.prog.ImportedPackage(pkg)
	if p == nil {
		t.Fatalf("package %s not loaded", pkg)
	}
	m, ok := p.Members[typ].(*ssa.Type)
	if !ok {
		t.Fatalf("%s.%s is not a type", pkg, typ)
	}
	named := m.Type().(*types.Named)
	var fns []*ssa.Function
	for i := range named.NumMethods() {
		fns = append(fns, a.prog.FuncValue(named.Method(i)))
	}
	return fns
}

// main returns the main function of the main package in dir.
func (a *accessAnalysis) main(t *testing.T, dir string) *ssa.Function {
	t.Helper()
	for _, p := range a.prog.AllPackages() {
		if p.Pkg.Name() == "main" && strings.HasSuffix(p.Pkg.Path(), strings.TrimPrefix(dir, ".")) {
			return p.Func("main")
		}
	}
	t.Fatalf("no main package %s", dir)
	return nil
}

// reach collects the DynamoDB usage of the module code reachable from roots. It follows
// static calls, calls through interfaces to the module's methods that implement them,
// and every function the code refers to as a value (a closure handed to errgroup.Go or
// a change func handed to a helper is assumed to be called). It does not look into
// other modules: a call into the DynamoDB client is the usage itself.
func (a *accessAnalysis) reach(roots ...*ssa.Function) usage {
	u := usage{actions: map[string][]string{}}
	seen := map[*ssa.Function]bool{}
	where := func(pos token.Pos) string {
		p := a.prog.Fset.Position(pos)
		return filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
	}
	add := func(action string, pos token.Pos) {
		locs := u.actions[action]
		if pos.IsValid() { // a synthetic wrapper has none; its caller is listed
			locs = append(locs, where(pos))
		}
		u.actions[action] = locs
	}
	var visit func(f *ssa.Function)
	visit = func(f *ssa.Function) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		visit(f.Origin()) // an instantiation of a generic function: its generic body
		if f.Synthetic == "" && (f.Pkg == nil || !a.inModule(f.Pkg.Pkg.Path())) {
			return // another module's code; wrappers (bound methods, thunks) are followed
		}
		for _, b := range f.Blocks {
			for _, instr := range b.Instrs {
				if call, ok := instr.(ssa.CallInstruction); ok {
					c := call.Common()
					if g := c.StaticCallee(); g != nil {
						if op, ok := clientOperation(g); ok {
							add("dynamodb:"+op, call.Pos())
						}
						visit(g)
					} else if c.IsInvoke() {
						if a.clientHasMethod(c.Method) {
							add("dynamodb:"+c.Method.Name(), call.Pos())
						}
						iface := c.Value.Type().Underlying().(*types.Interface)
						for _, m := range a.methodsByName[c.Method.Name()] {
							if types.Implements(m.Signature.Recv().Type(), iface) {
								visit(m)
							}
						}
					}
				}
				for _, op := range instr.Operands(nil) {
					if g, ok := (*op).(*ssa.Function); ok {
						visit(g)
					}
				}
				switch instr := instr.(type) {
				case *ssa.Alloc:
					// A part of a transaction is authorized as its single-item action.
					if action, ok := transactionParts[typeName(instr.Type())]; ok {
						add(action, instr.Pos())
					}
				case *ssa.Store:
					if fa, ok := instr.Addr.(*ssa.FieldAddr); ok && typeName(fa.X.Type()) == ddbPkg+".QueryInput" &&
						fieldName(fa) == "IndexName" && !isNil(instr.Val) {
						u.indexQuery = append(u.indexQuery, where(instr.Pos()))
					}
				}
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	return u
}

// transactionParts maps the parts of a transaction to the IAM action that authorizes them.
var transactionParts = map[string]string{
	typesPkg + ".Put":            "dynamodb:PutItem",
	typesPkg + ".Update":         "dynamodb:UpdateItem",
	typesPkg + ".Delete":         "dynamodb:DeleteItem",
	typesPkg + ".ConditionCheck": "dynamodb:ConditionCheckItem",
	typesPkg + ".Get":            "dynamodb:GetItem",
}

// isTransaction reports whether op is TransactWriteItems or TransactGetItems, which
// need no action of their own: each part is authorized as its single-item action.
func isTransaction(op string) bool { return op == "TransactWriteItems" || op == "TransactGetItems" }

// clientOperation reports the DynamoDB operation a call of f makes: a method of
// *dynamodb.Client but a transaction, or a paginator constructor
// (dynamodb.NewQueryPaginator: Query).
func clientOperation(f *ssa.Function) (string, bool) {
	obj, ok := f.Object().(*types.Func)
	if !ok || obj.Pkg() == nil || obj.Pkg().Path() != ddbPkg {
		return "", false
	}
	if recv := obj.Signature().Recv(); recv != nil {
		if typeName(recv.Type()) != ddbPkg+".Client" || isTransaction(obj.Name()) {
			return "", false
		}
		return obj.Name(), true
	}
	if op, ok := strings.CutPrefix(obj.Name(), "New"); ok && strings.HasSuffix(op, "Paginator") {
		return strings.TrimSuffix(op, "Paginator"), true
	}
	return "", false
}

// clientHasMethod reports whether m, a method called through an interface (one the
// code declares over the client, say), is an operation of *dynamodb.Client other than a
// transaction.
func (a *accessAnalysis) clientHasMethod(m *types.Func) bool {
	if isTransaction(m.Name()) {
		return false
	}
	obj, _, _ := types.LookupFieldOrMethod(a.client, true, nil, m.Name())
	op, ok := obj.(*types.Func)
	return ok && obj.Exported() && types.Identical(withoutRecv(op.Signature()), withoutRecv(m.Signature()))
}

func withoutRecv(s *types.Signature) *types.Signature {
	return types.NewSignatureType(nil, nil, nil, s.Params(), s.Results(), s.Variadic())
}

// typeName is "pkgpath.Name" of a named type or a pointer to one, else "".
func typeName(t types.Type) string {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return ""
	}
	return n.Obj().Pkg().Path() + "." + n.Obj().Name()
}

// fieldName is the name of the struct field fa addresses.
func fieldName(fa *ssa.FieldAddr) string {
	st := fa.X.Type().Underlying().(*types.Pointer).Elem().Underlying().(*types.Struct)
	return st.Field(fa.Field).Name()
}

func isNil(v ssa.Value) bool {
	c, ok := v.(*ssa.Const)
	return ok && c.IsNil()
}
