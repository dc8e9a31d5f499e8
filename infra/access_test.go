package main

import (
	"go/ast"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"

	"github.com/personsapi/persons/pkg/api"
	"github.com/personsapi/persons/pkg/persons"
)

const (
	ddbPkg   = "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	typesPkg = ddbPkg + "/types"
)

// usage is what some Go files do with DynamoDB, as IAM actions.
type usage struct {
	actions    map[string][]string // action -> where (file:line)
	indexQuery []string            // where a Query names an index
}

// TestAccessMatchesCode keeps functionAccess honest: DynamoDB Local does not check IAM, so
// a store call without its action would only fail in AWS (AccessDeniedException), and an
// action no code uses is privilege nobody needs. It type-checks the packages the functions
// run and collects the DynamoDB client calls, paginators and transaction parts in them.
// The file split mirrors the functions: person.go serves the persons function, related.go
// the related kinds, the rest of pkg/persons both (but table.go); pkg/seed the seed function.
func TestAccessMatchesCode(t *testing.T) {
	pkgs, err := packages.Load(&packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo,
		Dir:  "..",
	}, "./pkg/persons", "./pkg/seed")
	if err != nil {
		t.Fatal(err)
	}
	byFile := map[string]usage{} // "persons/person.go" -> usage
	for _, p := range pkgs {
		for _, e := range p.Errors {
			t.Fatalf("load %s: %v", p.PkgPath, e)
		}
		for _, f := range p.Syntax {
			name := p.Fset.File(f.Pos()).Name()
			key := filepath.Base(filepath.Dir(name)) + "/" + filepath.Base(name)
			byFile[key] = dynamoUsage(p, f)
		}
	}
	needed := func(include func(file string) bool) usage {
		u := usage{actions: map[string][]string{}}
		for file, fu := range byFile {
			if !include(file) {
				continue
			}
			for a, where := range fu.actions {
				u.actions[a] = append(u.actions[a], where...)
			}
			u.indexQuery = append(u.indexQuery, fu.indexQuery...)
		}
		return u
	}
	// table.go creates tables for tests and `make run`; the stack creates the real one.
	inPersons := func(f string) bool { return strings.HasPrefix(f, "persons/") && f != "persons/table.go" }
	want := map[string]usage{
		string(api.FunctionPersons): needed(func(f string) bool { return inPersons(f) && f != "persons/related.go" }),
		seedFunction:                needed(func(f string) bool { return strings.HasPrefix(f, "seed/") }),
	}
	for _, k := range persons.Kinds {
		want[string(api.FunctionFor(k))] = needed(func(f string) bool { return inPersons(f) && f != "persons/person.go" })
	}
	// tx.go renders every kind of transaction part, but only related writes send a
	// ConditionCheck. (Interim: keyed on files, the analysis cannot see that.)
	delete(want[string(api.FunctionPersons)].actions, "dynamodb:ConditionCheckItem")
	if len(want[string(api.FunctionPersons)].actions) == 0 || len(want[seedFunction].actions) == 0 {
		t.Fatalf("found no DynamoDB calls (%v): the analysis is broken", byFile)
	}
	for fn, u := range want {
		granted := functionAccess[fn].TableActions
		for _, a := range slices.Sorted(maps.Keys(u.actions)) {
			if !slices.Contains(granted, a) {
				t.Errorf("%s: the code needs %s (%s) but functionAccess does not grant it", fn, a, strings.Join(u.actions[a], ", "))
			}
		}
		for _, a := range granted {
			if _, ok := u.actions[a]; !ok {
				t.Errorf("%s: functionAccess grants %s, which no code of the function uses", fn, a)
			}
		}
		if gotIndex := len(functionAccess[fn].IndexQueries) > 0; gotIndex != (len(u.indexQuery) > 0) {
			t.Errorf("%s: index queries granted %v, index queries in the code at %v", fn, functionAccess[fn].IndexQueries, u.indexQuery)
		}
	}
}

// dynamoUsage collects the IAM actions one file's DynamoDB calls need.
func dynamoUsage(p *packages.Package, f *ast.File) usage {
	u := usage{actions: map[string][]string{}}
	add := func(action string, n ast.Node) {
		pos := p.Fset.Position(n.Pos())
		u.actions[action] = append(u.actions[action], filepath.Base(pos.Filename)+":"+strconv.Itoa(pos.Line))
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := n.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			fn, ok := p.TypesInfo.Uses[sel.Sel].(*types.Func)
			if !ok || fn.Pkg() == nil || fn.Pkg().Path() != ddbPkg {
				return true
			}
			sig := fn.Type().(*types.Signature)
			switch {
			case sig.Recv() != nil && strings.HasSuffix(sig.Recv().Type().String(), ddbPkg+".Client"):
				// Transactions are authorized per part (below), not as an action of their own.
				if op := fn.Name(); op != "TransactWriteItems" && op != "TransactGetItems" {
					add("dynamodb:"+op, n)
				}
			case fn.Name() == "NewQueryPaginator":
				add("dynamodb:Query", n)
			case fn.Name() == "NewScanPaginator":
				add("dynamodb:Scan", n)
			}
		case *ast.CompositeLit:
			tv, ok := p.TypesInfo.Types[n]
			if !ok {
				return true
			}
			named, ok := tv.Type.(*types.Named)
			if !ok || named.Obj().Pkg() == nil {
				return true
			}
			switch named.Obj().Pkg().Path() + "." + named.Obj().Name() {
			case typesPkg + ".Put":
				add("dynamodb:PutItem", n)
			case typesPkg + ".Update":
				add("dynamodb:UpdateItem", n)
			case typesPkg + ".Delete":
				add("dynamodb:DeleteItem", n)
			case typesPkg + ".ConditionCheck":
				add("dynamodb:ConditionCheckItem", n)
			case typesPkg + ".Get":
				add("dynamodb:GetItem", n)
			case ddbPkg + ".QueryInput":
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok && id.Name == "IndexName" {
							pos := p.Fset.Position(n.Pos())
							u.indexQuery = append(u.indexQuery, filepath.Base(pos.Filename)+":"+strconv.Itoa(pos.Line))
						}
					}
				}
			}
		}
		return true
	})
	return u
}
